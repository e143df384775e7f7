/// Something a signed-in person may do. The one place that says which role may do what is `Role.permissions`.
///
/// Later features add a case here, grant it in `Role.permissions`, and declare it on their routes with
/// `StaffRouter.get(_:_:handler:)` / `post`; the role-matrix test then walks the new routes with every role.
public enum Permission: String, CaseIterable, Sendable {
    /// Use the staff pages at all: the staff home page, changing one's own password, signing out.
    case useStaffPages
    /// Create users, change their role or organisation, disable them, reset their passwords.
    case manageUsers
    /// Add providers and areas.
    case manageOrganisations
    /// Read and filter the audit log.
    case viewAuditLog
    /// Create and edit inspections, assign inspectors (admins), see link tracking per provider, close the window.
    case manageInspections
    /// Issue, revoke and reissue questionnaire links for one's own provider, and follow their status (VLOs).
    case issueLinks
    /// Key in a paper victim questionnaire for an assigned inspection.
    case enterPaperReturns
    /// Upload and import the service-user survey file.
    case importSurvey
    /// Read an inspection's stakeholder-views report and export it (inspectors only for inspections they are assigned to).
    case viewReport
    /// Record meetings with sentencers for inspections (only those one is assigned to, unless an administrator).
    case recordSentencerMeetings
    /// Publish an inspection's report, freezing its figures (administrators, and an inspection's lead inspector).
    case publishReport
    /// See programme pages and programme reports (inspectors only for programmes with an inspection they are assigned to).
    case viewProgrammes
    /// Create and change programmes, add and remove their inspections, freeze programme reports (administrators).
    case manageProgrammes
    /// Issue batches of single-use codes for the online survey of people on probation for one's own provider, and
    /// follow how many were opened and answered (provider survey coordinators).
    case issueSurveyCodes
}

/// A staff role. Victims, sentencers and people on probation never have accounts.
public enum Role: String, CaseIterable, Sendable {
    case admin
    case inspector
    case vlo
    /// A provider's staff member who issues codes for the survey of people on probation (issue 21).
    case surveyCoordinator = "survey_coordinator"

    /// The authorisation matrix: every permission each role has.
    public var permissions: Set<Permission> {
        switch self {
        case .admin:
            [
                .useStaffPages, .manageUsers, .manageOrganisations, .viewAuditLog, .manageInspections, .enterPaperReturns, .importSurvey,
                .recordSentencerMeetings, .viewReport, .publishReport, .viewProgrammes, .manageProgrammes,
            ]
        case .inspector:
            [
                .useStaffPages, .manageInspections, .enterPaperReturns, .importSurvey, .recordSentencerMeetings, .viewReport, .publishReport,
                .viewProgrammes,
            ]
        case .vlo: [.useStaffPages, .issueLinks]
        case .surveyCoordinator: [.useStaffPages, .issueSurveyCodes]
        }
    }

    /// Whether this role has `permission`.
    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// The kind of organisation people in this role belong to: VLOs and survey coordinators to a provider, everyone
    /// else to the inspectorate (the database's generated `staff_user.organisation_kind` says the same).
    public var organisationKind: OrganisationKind {
        switch self {
        case .vlo, .surveyCoordinator: .provider
        case .admin, .inspector: .inspectorate
        }
    }

    /// The name shown on pages.
    public var label: String {
        switch self {
        case .admin: "Administrator"
        case .inspector: "Inspector"
        case .vlo: "Victim Liaison Officer"
        case .surveyCoordinator: "Provider survey coordinator"
        }
    }
}
