import Domain
import Forms
import Foundation
import Operations
import Testing
import Web

@Suite("Report: the service-users section")
struct ReportServiceUsersTests {
    let rules = DisclosureRules.standard

    var codebook: Codebook? {
        get throws { try FormRegistry.load(directory: projectRoot + "/forms").current(id: "service-user-survey")?.codebook }
    }

    @Test("the area's latest year against the whole country: % positive, interval, base, flag, inspected areas, trend with a gap")
    func comparison() throws {
        var counts = ReportStore.SurveyCounts()
        counts.years = [2012, 2014]
        counts.mappedCodes = 1
        counts.areaID = 1
        counts.inspected = [1, 2, 3]
        // q01: 50 of 70 positive in area 1 (codes 1 and 2); area 2 has 20, area 3 only 5; area 4 (not inspected) 10,000.
        counts.areas[2014] = [
            1: ["q01": [1: 30, 2: 20, 3: 10, 4: 5, 5: 5], "q02": [1: 10, 2: 5, 4: 5]],
            2: ["q01": [1: 10, 5: 10]],
            3: ["q01": [1: 5]],
            4: ["q01": [1: 3000, 2: 2000, 3: 2000, 4: 2000, 5: 1000], "q02": [1: 100, 2: 100, 4: 100]],
        ]
        counts.areas[2012] = [1: ["q01": [1: 4, 4: 1]], 4: ["q01": [1: 400, 4: 100]]]
        let section = ServiceUsersSection(counts: counts, codebook: try codebook, rules: rules)
        #expect(section.latestYear == 2014)
        #expect(section.years == [2012, 2013, 2014])
        let q01 = try #require(section.questions.first { $0.id == "q01" })
        #expect(q01.area.base == 70 && q01.area.positive == 50 && !q01.area.lowReliability)
        // National: every area, this one included.
        #expect(q01.national.base == 10095 && q01.national.positive == 5065)
        #expect(q01.difference == .higher)
        // Area 3 (base 5) is hidden, and area 2 with it, or area 3 would be the national total less the others.
        #expect(q01.inspected.count == 1)
        let table = section.measuresTable
        let row = try #require(table.rows.first { $0.first == .text("q01") })
        let value = { (name: String) in row[table.columns.firstIndex(of: name) ?? 0].display }
        #expect(value("percent_positive") == "71%")
        #expect(value("interval_low") == "60%" && value("interval_high") == "81%")
        #expect(value("national_scope") == "all areas")
        #expect(value("national_percent_positive") == "50%")
        #expect(value("difference") == "Higher")
        #expect(value("inspected_lowest") == "71%" && value("inspected_highest") == "71%" && value("inspected_average") == "71%")
        // q02: 15 of 20 positive, so 5 not: the percentage would give the 5 away.
        let q02 = try #require(table.rows.first { $0.first == .text("q02") })
        #expect(q02[table.columns.firstIndex(of: "percent_positive") ?? 0].display == "[c]")
        #expect(q02[table.columns.firstIndex(of: "difference") ?? 0] == .notAvailable)
        // Trend: 2012 base 5 is [c], 2013 had no import.
        let trend = section.trendTable.rows.filter { $0.first == .text("q01") }.map { $0.map(\.display) }
        #expect(trend == [["q01", "2012", "[c]", "[c]"], ["q01", "2013", "[x]", "[x]"], ["q01", "2014", "70", "71%"]])
    }

    @Test("no survey imported: no rows, no division by zero")
    func empty() throws {
        let section = ServiceUsersSection(counts: ReportStore.SurveyCounts(), codebook: try codebook, rules: rules)
        #expect(section.latestYear == nil)
        #expect(section.measuresTable.rows.isEmpty)
        #expect(section.questions.allSatisfy { $0.area.value == .suppressed && $0.difference == nil })
    }
}
