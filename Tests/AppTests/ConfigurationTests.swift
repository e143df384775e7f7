import Domain
import Operations
import Testing
import Web

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test("defaults hold when nothing is set")
    func defaults() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databaseURL == "")
        #expect(configuration.poolSize == 10)
        #expect(configuration.autoMigrate)
        #expect(configuration.retentionMonths == 12)
    }

    @Test("the concurrency limit follows the pool size unless MAX_CONCURRENT_REQUESTS sets it")
    func concurrencyLimit() throws {
        #expect(try AppConfiguration(environment: [:]).concurrencyLimit == 40)
        #expect(try AppConfiguration(environment: ["DATABASE_POOL_SIZE": "3"]).concurrencyLimit == 12)
        #expect(try AppConfiguration(environment: ["DATABASE_POOL_SIZE": "3", "MAX_CONCURRENT_REQUESTS": "7"]).concurrencyLimit == 7)
    }

    @Test(
        "each bad value is refused with the variable's name and what it expects",
        arguments: [
            ("PORT", "eighty", "PORT must be a whole number"),
            ("PORT", "70000", "PORT must be a whole number from 0 to 65535"),
            ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE must be a whole number from 1"),
            ("DATABASE_ACQUIRE_TIMEOUT", "soon", "DATABASE_ACQUIRE_TIMEOUT must be a number of seconds"),
            ("MAX_CONCURRENT_REQUESTS", "0", "MAX_CONCURRENT_REQUESTS must be a whole number from 1 to 100000, not '0'"),
            ("MAX_CONCURRENT_REQUESTS", "lots", "MAX_CONCURRENT_REQUESTS must be a whole number from 1 to 100000, not 'lots'"),
            ("AUTO_MIGRATE", "maybe", "AUTO_MIGRATE must be true or false"),
            ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
            ("DATABASE_URL", "postgresql://host:port:x/db", "DATABASE_URL is not a valid libpq connection string"),
            ("DATABASE_URL", "host=a port", "DATABASE_URL is not a valid libpq connection string"),
            ("REPORT_DATABASE_URL", "host=a port", "REPORT_DATABASE_URL is not a valid libpq connection string"),
            ("RETENTION_MONTHS", "0", "RETENTION_MONTHS must be a whole number from 1 to 1200, not '0'"),
            ("RETENTION_MONTHS", "-3", "RETENTION_MONTHS must be a whole number from 1 to 1200, not '-3'"),
            ("RETENTION_MONTHS", "a year", "RETENTION_MONTHS must be a whole number from 1 to 1200, not 'a year'"),
            ("RETENTION_MONTHS", "12.5", "RETENTION_MONTHS must be a whole number"),
            ("SAFEGUARDING_PROCEDURE", String(repeating: "a", count: 2001), "SAFEGUARDING_PROCEDURE must be 1 to 2,000 characters"),
            ("SAFEGUARDING_PROCEDURE", "Call\u{7}", "SAFEGUARDING_PROCEDURE must be 1 to 2,000 characters"),
        ]
    )
    func refused(variable: String, value: String, message: String) {
        #expect {
            try AppConfiguration(environment: [variable: value])
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("SAFEGUARDING_PROCEDURE replaces the default text, trimmed")
    func safeguardingProcedure() throws {
        #expect(try AppConfiguration(environment: [:]).safeguardingProcedure == AppConfiguration.defaultSafeguardingProcedure)
        #expect(
            try AppConfiguration(environment: ["SAFEGUARDING_PROCEDURE": " Ring the duty officer.\nThen log it. "]).safeguardingProcedure
                == "Ring the duty officer.\nThen log it."
        )
    }

    @Test("RETENTION_MONTHS sets the retention period")
    func retentionMonths() throws {
        #expect(try AppConfiguration(environment: ["RETENTION_MONTHS": "18"]).retentionMonths == 18)
    }

    @Test("operators' connection strings are accepted as they are")
    func connectionStrings() throws {
        for url in [
            "postgresql://views@db1.internal,db2.internal/views?target_session_attrs=read-write&sslmode=verify-full",
            "host=/var/run/postgresql dbname=views", "service=stakeholder-views",
        ] {
            #expect(try AppConfiguration(environment: ["DATABASE_URL": url]).databaseURL == url)
        }
        let standby = "host=db2.internal,db1.internal dbname=views target_session_attrs=prefer-standby"
        #expect(try AppConfiguration(environment: ["REPORT_DATABASE_URL": standby]).reportDatabaseURL == standby)
        #expect(try AppConfiguration(environment: [:]).reportDatabaseURL == nil)
    }
}

@Suite("Configuration: metrics")
struct MetricsConfigurationTests {
    static let token = String(repeating: "a1", count: 16)

    @Test("metrics are off unless METRICS_TOKEN is set; then on the public port unless METRICS_PORT moves them")
    func settings() throws {
        let none = try AppConfiguration(environment: [:])
        #expect(none.metricsToken == nil)
        #expect(none.metricsPort == nil)
        #expect(none.metricsHost == "127.0.0.1")
        let token = try AppConfiguration(environment: ["METRICS_TOKEN": Self.token])
        #expect(token.metricsToken == Self.token)
        #expect(token.metricsPort == nil)
        let port = try AppConfiguration(environment: ["METRICS_TOKEN": Self.token, "METRICS_PORT": "9464", "METRICS_HOST": "10.0.0.5"])
        #expect(port.metricsPort == 9464)
        #expect(port.metricsHost == "10.0.0.5")
    }

    @Test(
        "bad metrics settings are refused with one line naming the variable, and a token is never repeated",
        arguments: [
            (["METRICS_TOKEN": "short-token"], "METRICS_TOKEN must be at least 32"),
            (["METRICS_TOKEN": String(repeating: "x", count: 31)], "METRICS_TOKEN must be at least 32"),
            (["METRICS_TOKEN": String(repeating: "x", count: 20) + " " + String(repeating: "y", count: 20)], "METRICS_TOKEN must be"),
            (["METRICS_TOKEN": String(repeating: "é", count: 40)], "METRICS_TOKEN must be"),
            (["METRICS_PORT": "9464"], "METRICS_PORT needs METRICS_TOKEN"),
            (["METRICS_TOKEN": token, "METRICS_PORT": "0"], "METRICS_PORT must be a whole number from 1 to 65535"),
            (["METRICS_TOKEN": token, "METRICS_PORT": "metrics"], "METRICS_PORT must be a whole number"),
            (["METRICS_TOKEN": token, "METRICS_PORT": "8080"], "METRICS_PORT must differ from PORT (8080)"),
            (["METRICS_TOKEN": token, "PORT": "9000", "METRICS_PORT": "9000"], "METRICS_PORT must differ from PORT (9000)"),
        ]
    )
    func refused(environment: [String: String], message: String) {
        #expect {
            try AppConfiguration(environment: environment)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && !text.contains("\n") && !(environment["METRICS_TOKEN"].map { text.contains($0) } ?? false)
        }
    }

    @Test("a 32-character token is the shortest accepted")
    func shortestToken() throws {
        let token = String(repeating: "z", count: AppConfiguration.minimumMetricsTokenLength)
        #expect(try AppConfiguration(environment: ["METRICS_TOKEN": token]).metricsToken == token)
    }
}
