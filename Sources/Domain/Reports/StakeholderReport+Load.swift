import Forms
import Foundation

extension StakeholderReport {
    /// The form whose answers the victims section counts.
    package static let victimFormID = "victim-questionnaire"
    /// The codebook of the service-user survey the report reads.
    package static let surveyCodebookID = "service-user-survey"
    /// The form of the sentencer interviews.
    package static let sentencerFormID = "sentencer-interview"

    /// Reads the raw figures and builds the report.
    package static func load(
        inspection: ReportStore.InspectionFacts,
        store: ReportStore,
        forms: FormRegistry,
        rules: DisclosureRules
    ) async throws -> StakeholderReport {
        let providers = try await store.providerLinks(inspectionID: inspection.id)
        let counts = try await store.victimAnswerCounts(inspectionID: inspection.id, formID: Self.victimFormID)
        let victims = VictimsSection(providers: providers, counts: counts, form: forms.current(id: Self.victimFormID), rules: rules)
        let codebook = forms.current(id: Self.surveyCodebookID)?.codebook
        let variables = ServiceUsersSection.questionVariables(codebook).map(\.id)
        try await store.summariseSurveyBatches(codebookID: Self.surveyCodebookID, variables: variables)
        let survey = try await store.surveyCounts(areaID: inspection.areaID, codebookID: Self.surveyCodebookID)
        let serviceUsers = ServiceUsersSection(counts: survey, codebook: codebook, rules: rules)
        let sentencers = SentencersSection(
            figures: try await store.sentencerFigures(inspectionID: inspection.id),
            schedule: forms.current(id: Self.sentencerFormID)
        )
        return StakeholderReport(inspection: inspection, victims: victims, serviceUsers: serviceUsers, sentencers: sentencers, rules: rules)
    }

    /// The exports' `report` object.
    package var meta: [String: String] {
        [
            "inspection_id": String(inspection.id),
            "inspection": inspection.title,
            "area": inspection.areaName,
            "suppress_below": String(rules.suppressBelow),
            "low_reliability_below": String(rules.lowReliabilityBelow),
            "format_version": "1",
        ]
    }
}
