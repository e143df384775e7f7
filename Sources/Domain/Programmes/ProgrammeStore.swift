import Foundation
import Postgres

extension AuditEvent {
    /// An administrator created or changed a programme, or added or removed an inspection (details: `action`).
    public static let programmeChanged: AuditEvent = "programme.changed"
    /// A programme report was frozen under a label (details: `inspections`).
    public static let programmePublished: AuditEvent = "programme.published"
}

/// Programmes of inspections (issue 22, sql/0090): their dates and members, the evidence their published members
/// left, and their frozen reports.
package struct ProgrammeStore: Sendable {
    package let database: PostgresClient

    package init(database: PostgresClient) {
        self.database = database
    }

    /// A programme.
    package struct Programme: Sendable, Equatable {
        package let id: Int
        package let name: String
        package let startsOn: LocalDate
        package let endsOn: LocalDate
        package let inspections: Int
        package let published: Int
    }

    /// An inspection in a programme (or one that could join).
    package struct Member: Sendable, Equatable, Codable {
        package let id: Int
        package let title: String
        package let areaName: String
        package let fieldworkStartsOn: LocalDate
        package let publishedOn: LocalDate?
    }

    /// A frozen programme report, as listed.
    package struct Snapshot: Sendable, Equatable {
        package let id: Int
        package let label: String
        package let publishedOn: LocalDate
        package let inspections: Int
    }

    /// What the programme form holds.
    package struct Draft: Sendable {
        package let name: String
        package let startsOn: LocalDate?
        package let endsOn: LocalDate?

        package init(name: String, startsOn: LocalDate?, endsOn: LocalDate?) {
            self.name = name
            self.startsOn = startsOn
            self.endsOn = endsOn
        }

        /// Field errors of the draft alone: a name of 1 to 120 characters, both dates, the end not before the start.
        package var problems: FieldErrors {
            var errors = FieldErrors()
            checkText(name, field: "name", name: "a name for the programme", maximum: 120, errors: &errors)
            if startsOn == nil { errors.add("starts-on", "Enter the date the programme starts, for example 1 4 2027") }
            if endsOn == nil { errors.add("ends-on", "Enter the date the programme ends, for example 31 3 2031") }
            if let startsOn, let endsOn, endsOn < startsOn { errors.add("ends-on", "The programme must end on or after the day it starts") }
            return errors
        }
    }

    /// The outcome of saving a programme.
    package enum SaveResult: Sendable {
        case saved(id: Int)
        case invalid(FieldErrors)
        case notFound
    }

    package static let selectProgrammes = """
        SELECT p.id, p.name, p.starts_on, p.ends_on,
               (SELECT count(*) FROM programme_inspection pi WHERE pi.programme_id = p.id) AS inspections,
               (SELECT count(*) FROM programme_inspection pi JOIN inspection i ON i.id = pi.inspection_id
                WHERE pi.programme_id = p.id AND i.published_on IS NOT NULL) AS published
        FROM programme p
        """

    private static func decode(_ row: PostgresRow) throws -> Programme {
        Programme(
            id: try row.decode("id"),
            name: try row.decode("name"),
            startsOn: try row.decode("starts_on"),
            endsOn: try row.decode("ends_on"),
            inspections: try row.decode("inspections"),
            published: try row.decode("published")
        )
    }

    /// The programmes `userID` may see: every one when `all`, else those with an inspection they are assigned to.
    package func programmes(userID: Int, all: Bool) async throws -> [Programme] {
        var query = Self.visible(to: userID, all: all)
        query.append(" ORDER BY p.starts_on DESC, p.id")
        return try await database.query(query).map(Self.decode)
    }

    /// One programme, if `userID` may see it (every one when `all`).
    package func programme(_ id: Int, userID: Int, all: Bool) async throws -> Programme? {
        var query = Self.visible(to: userID, all: all)
        query.append(" AND p.id = \(id)")
        return try await database.query(query).first.map(Self.decode)
    }

    /// The programmes `userID` may see, as a query to narrow with ` AND …`.
    private static func visible(to userID: Int, all: Bool) -> PostgresQuery {
        var query = PostgresQuery(unsafeSQL: selectProgrammes)
        if all {
            query.append(" WHERE true")
        } else {
            query.append(
                """
                 WHERE EXISTS (SELECT 1 FROM programme_inspection pi JOIN inspection_inspector ii ON ii.inspection_id = pi.inspection_id
                               WHERE pi.programme_id = p.id AND ii.user_id = \(userID))
                """
            )
        }
        return query
    }

    private static let selectMembers = """
        SELECT i.id, i.title, a.name AS area_name, i.fieldwork_starts_on, i.published_on
        FROM inspection i JOIN area a ON a.id = i.area_id
        """

    private static func decodeMember(_ row: PostgresRow) throws -> Member {
        Member(
            id: try row.decode("id"),
            title: try row.decode("title"),
            areaName: try row.decode("area_name"),
            fieldworkStartsOn: try row.decode("fieldwork_starts_on"),
            publishedOn: try row.decode("published_on")
        )
    }

    /// The programme's inspections, by fieldwork date.
    package func members(_ programmeID: Int) async throws -> [Member] {
        var query = PostgresQuery(unsafeSQL: Self.selectMembers)
        query.append(" JOIN programme_inspection pi ON pi.inspection_id = i.id WHERE pi.programme_id = \(programmeID)")
        query.append(" ORDER BY i.fieldwork_starts_on, i.id")
        return try await database.query(query).map(Self.decodeMember)
    }

    /// Inspections in no programme whose fieldwork starts within `programme`'s dates: those that may be added.
    package func candidates(for programme: Programme) async throws -> [Member] {
        var query = PostgresQuery(unsafeSQL: Self.selectMembers)
        query.append(
            """
             WHERE NOT EXISTS (SELECT 1 FROM programme_inspection pi WHERE pi.inspection_id = i.id)
               AND i.fieldwork_starts_on BETWEEN \(programme.startsOn) AND \(programme.endsOn)
             ORDER BY i.fieldwork_starts_on, i.id
            """
        )
        return try await database.query(query).map(Self.decodeMember)
    }

    /// Creates a programme (`id` nil) or changes one. A name another programme has (ignoring case) is refused, and so
    /// are dates that would leave one of its inspections outside them.
    package func save(_ draft: Draft, id: Int?, audit: AuditLog, actor: AuditActor) async throws -> SaveResult {
        var errors = draft.problems
        guard !errors.hasErrors, let startsOn = draft.startsOn, let endsOn = draft.endsOn else { return .invalid(errors) }
        return try await database.withTransaction { connection in
            try await connection.execute("LOCK TABLE programme IN SHARE ROW EXCLUSIVE MODE")
            if let id, try await connection.query("SELECT 1 FROM programme WHERE id = \(id) FOR UPDATE").isEmpty { return .notFound }
            let clash = try await connection.query(
                "SELECT name FROM programme WHERE lower(btrim(name)) = lower(\(draft.name)) AND id IS DISTINCT FROM \(id)"
            )
            if !clash.isEmpty { errors.add("name", "There is already a programme called ‘\(draft.name)’: choose another name") }
            if let id {
                let outside = try await connection.query(
                    """
                    SELECT i.title, i.fieldwork_starts_on FROM programme_inspection pi JOIN inspection i ON i.id = pi.inspection_id
                    WHERE pi.programme_id = \(id) AND i.fieldwork_starts_on NOT BETWEEN \(startsOn) AND \(endsOn)
                    ORDER BY i.fieldwork_starts_on LIMIT 1
                    """
                )
                if let first = outside.first {
                    let title: String = try first.decode("title")
                    let date: LocalDate = try first.decode("fieldwork_starts_on")
                    errors.add(
                        "starts-on",
                        "The dates must include every inspection in the programme: fieldwork for ‘\(title)’ starts on \(date.govuk)"
                    )
                }
            }
            if errors.hasErrors { return .invalid(errors) }
            let saved: Int
            if let id {
                try await connection.execute(
                    "UPDATE programme SET name = \(draft.name), starts_on = \(startsOn), ends_on = \(endsOn) WHERE id = \(id)"
                )
                saved = id
            } else {
                saved = try await connection.query(
                    "INSERT INTO programme (name, starts_on, ends_on) VALUES (\(draft.name), \(startsOn), \(endsOn)) RETURNING id"
                )[0].decode("id")
            }
            try await audit.record(
                .programmeChanged,
                actor: actor,
                subject: .programme(saved),
                details: ["action": .code(id == nil ? "created" : "changed")],
                on: connection
            )
            return .saved(id: saved)
        }
    }

    /// Why an inspection cannot join or leave a programme. Nothing has changed when one is returned.
    package enum MembershipRefusal: Error, Equatable {
        case noSuchInspection
        case inAnotherProgramme(String)
        case alreadyMember
        case outsideDates(LocalDate)
        case published(LocalDate)
        case notMember

        /// The message for the programme page.
        package var message: String {
            switch self {
            case .noSuchInspection: "Choose an inspection to add"
            case .inAnotherProgramme(let name): "That inspection is already in the programme ‘\(name)’: an inspection belongs to one programme"
            case .alreadyMember: "That inspection is already in this programme"
            case .outsideDates(let date):
                "That inspection’s fieldwork starts on \(date.govuk), outside the programme’s dates: change the programme’s dates first"
            case .published(let date):
                "That inspection’s report was published on \(date.govuk): a published inspection stays in its programme, so that the programme’s frozen reports still add up"
            case .notMember: "That inspection is not in this programme"
            }
        }
    }

    /// Adds `inspectionID` to the programme; returns why not, or nil when added.
    package func add(inspectionID: Int, to programme: Programme, audit: AuditLog, actor: AuditActor) async throws -> MembershipRefusal? {
        try await database.withTransaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT fieldwork_starts_on FROM inspection WHERE id = \(inspectionID) FOR UPDATE"
                ).first
            else { return .noSuchInspection }
            let date: LocalDate = try row.decode("fieldwork_starts_on")
            if let other = try await connection.query(
                "SELECT p.id, p.name FROM programme_inspection pi JOIN programme p ON p.id = pi.programme_id WHERE pi.inspection_id = \(inspectionID)"
            ).first {
                let otherID: Int = try other.decode("id")
                return otherID == programme.id ? .alreadyMember : .inAnotherProgramme(try other.decode("name"))
            }
            // The dates as they are now, not as the page read them.
            guard
                let current = try await connection.query("SELECT starts_on, ends_on FROM programme WHERE id = \(programme.id) FOR SHARE").first
            else { return .noSuchInspection }
            let (startsOn, endsOn): (LocalDate, LocalDate) = (try current.decode("starts_on"), try current.decode("ends_on"))
            if date < startsOn || date > endsOn { return .outsideDates(date) }
            try await connection.execute("INSERT INTO programme_inspection (inspection_id, programme_id) VALUES (\(inspectionID), \(programme.id))")
            try await audit.record(
                .programmeChanged,
                actor: actor,
                subject: .programme(programme.id),
                details: ["action": .code("inspection_added"), "inspection_id": .int(Int64(inspectionID))],
                on: connection
            )
            return nil
        }
    }

    /// Removes `inspectionID` from the programme unless it is published; returns why not, or nil when removed.
    package func remove(inspectionID: Int, from programme: Programme, audit: AuditLog, actor: AuditActor) async throws -> MembershipRefusal? {
        try await database.withTransaction { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT i.published_on FROM programme_inspection pi JOIN inspection i ON i.id = pi.inspection_id
                    WHERE pi.inspection_id = \(inspectionID) AND pi.programme_id = \(programme.id) FOR UPDATE OF i
                    """
                ).first
            else { return .notMember }
            if let published: LocalDate = try row.decode("published_on") { return .published(published) }
            try await connection.execute("DELETE FROM programme_inspection WHERE inspection_id = \(inspectionID)")
            try await audit.record(
                .programmeChanged,
                actor: actor,
                subject: .programme(programme.id),
                details: ["action": .code("inspection_removed"), "inspection_id": .int(Int64(inspectionID))],
                on: connection
            )
            return nil
        }
    }

    /// The evidence of the programme's published inspections, by inspection id.
    package func evidence(_ programmeID: Int) async throws -> [Int: [InspectionEvidence.Row]] {
        let rows = try await database.query(
            """
            SELECT e.inspection_id, e.section, e.item, e.code, e.grouping, e.label, e.count, e.base, e.survey_year
            FROM programme_inspection pi JOIN inspection_evidence e ON e.inspection_id = pi.inspection_id
            WHERE pi.programme_id = \(programmeID)
            ORDER BY e.inspection_id, e.section, e.item, e.code, e.grouping
            """
        )
        var out: [Int: [InspectionEvidence.Row]] = [:]
        for row in rows {
            let section: String = try row.decode("section")
            guard let kind = InspectionEvidence.Section(rawValue: section) else { continue }
            out[try row.decode("inspection_id"), default: []].append(
                InspectionEvidence.Row(
                    section: kind,
                    item: try row.decode("item"),
                    code: try row.decode("code"),
                    grouping: try row.decode("grouping"),
                    label: try row.decode("label"),
                    count: try row.decode("count"),
                    base: try row.decode("base"),
                    surveyYear: try row.decode("survey_year")
                )
            )
        }
        return out
    }

    /// The programme's frozen reports, newest first.
    package func snapshots(_ programmeID: Int) async throws -> [Snapshot] {
        try await database.query(
            """
            SELECT id, label, published_on, inspections FROM programme_snapshot WHERE programme_id = \(programmeID) ORDER BY id DESC
            """
        ).map { row in
            Snapshot(
                id: try row.decode("id"),
                label: try row.decode("label"),
                publishedOn: try row.decode("published_on"),
                inspections: try row.decode("inspections")
            )
        }
    }

    /// One frozen report of the programme.
    package func snapshot(_ id: Int, programmeID: Int) async throws -> (Snapshot, PublishedProgrammeReport)? {
        guard
            let row = try await database.query(
                """
                SELECT id, label, published_on, inspections, report FROM programme_snapshot WHERE id = \(id) AND programme_id = \(programmeID)
                """
            ).first
        else { return nil }
        let snapshot = Snapshot(
            id: try row.decode("id"),
            label: try row.decode("label"),
            publishedOn: try row.decode("published_on"),
            inspections: try row.decode("inspections")
        )
        return (snapshot, try row.decode("report", as: PostgresJSON.self).decode(PublishedProgrammeReport.self))
    }

    /// Why a programme report cannot be frozen.
    package enum PublishRefusal: Error, Equatable {
        case noPublishedInspection
        case labelMissing
        case labelTooLong
        case labelUsed(String)

        package var message: String {
            switch self {
            case .noPublishedInspection: "A programme report needs at least one published inspection: none of this programme’s is published yet"
            case .labelMissing: "Enter a name for this report, for example ‘After the sixth inspection’"
            case .labelTooLong: "The name must be 120 characters or fewer"
            case .labelUsed(let label): "This programme already has a report called ‘\(label)’: choose another name"
            }
        }
    }

    /// Freezes `report` under `label`.
    package func publish(
        programmeID: Int,
        label: String,
        report: PublishedProgrammeReport,
        publishedBy: Int?,
        today: LocalDate,
        now: Date,
        audit: AuditLog,
        actor: AuditActor
    ) async throws -> Result<Int, PublishRefusal> {
        if label.isEmpty { return .failure(.labelMissing) }
        if label.count > 120 || label.contains(where: \.isNewline) { return .failure(.labelTooLong) }
        if report.inspections.isEmpty { return .failure(.noPublishedInspection) }
        let json = try PostgresJSON(encoding: report)
        return try await database.withTransaction { connection in
            try await connection.execute("SELECT id FROM programme WHERE id = \(programmeID) FOR UPDATE")
            if !(try await connection.query(
                "SELECT 1 FROM programme_snapshot WHERE programme_id = \(programmeID) AND lower(btrim(label)) = lower(\(label))"
            ).isEmpty) {
                return .failure(.labelUsed(label))
            }
            let id: Int = try await connection.query(
                """
                INSERT INTO programme_snapshot (programme_id, label, published_on, published_by, published_at, format_version, inspections, report)
                VALUES (\(programmeID), \(label), \(today), \(publishedBy), \(now), \(PublishedProgrammeReport.formatVersion),
                        \(report.inspections.count), \(json))
                RETURNING id
                """
            )[0].decode("id")
            try await audit.record(
                .programmePublished,
                actor: actor,
                subject: .programme(programmeID),
                details: ["inspections": .int(Int64(report.inspections.count)), "snapshot_id": .int(Int64(id))],
                on: connection
            )
            return .success(id)
        }
    }
}
