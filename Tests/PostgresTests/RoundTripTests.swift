import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Values round-trip through bound parameters and typed decoding")
struct RoundTripTests {
    @Test("every supported type comes back as it was sent, and NULL comes back as nil")
    func everyType() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute(
                """
                CREATE TABLE sample (
                    t text, i8 bigint, i4 integer, i2 smallint, b boolean, d double precision, n numeric(12, 4),
                    ts timestamptz, day date, u uuid, bytes bytea, doc jsonb
                )
                """
            )
            let instant = Date(timeIntervalSince1970: 1_764_173_481.123456)
            let uuid = UUID()
            let day = try #require(LocalDate(year: 2014, month: 2, day: 28))
            let bytes = PostgresBytes([0, 1, 127, 128, 255])
            let json = PostgresJSON(text: #"{"a": [1, 2], "b": "ŵ"}"#)
            try await db.execute(
                """
                INSERT INTO sample VALUES (
                    \("Llanelli"), \(Int64.max), \(Int32.min), \(Int16(-7)), \(true), \(3.141592653589793), \("12345678.1234"),
                    \(instant), \(day), \(uuid), \(bytes), \(json)
                )
                """
            )
            try await db.execute(
                "INSERT INTO sample VALUES (\(String?.none), \(Int?.none), NULL, NULL, \(Bool?.none), \(Double?.none), NULL, \(Date?.none), \(LocalDate?.none), \(UUID?.none), \(PostgresBytes?.none), \(PostgresJSON?.none))"
            )
            let rows = try await db.query("SELECT * FROM sample ORDER BY t NULLS LAST")
            #expect(rows.count == 2)
            let row = rows[0]
            #expect(try row.decode("t", as: String.self) == "Llanelli")
            #expect(try row.decode("i8", as: Int64.self) == Int64.max)
            #expect(try row.decode("i4", as: Int32.self) == Int32.min)
            #expect(try row.decode("i2", as: Int.self) == -7)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("d", as: Double.self) == 3.141592653589793)
            #expect(try row.decode("n", as: Double.self) == 12345678.1234)
            #expect(try row.decode("n", as: String.self) == "12345678.1234")
            let back = try row.decode("ts", as: Date.self)
            #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode("day", as: LocalDate.self) == day)
            #expect(try row.decode("u", as: UUID.self) == uuid)
            #expect(try row.decode("bytes", as: PostgresBytes.self) == bytes)
            let doc = try row.decode("doc", as: PostgresJSON.self)
            struct Doc: Decodable, Equatable {
                let a: [Int]
                let b: String
            }
            #expect(try doc.decode(Doc.self) == Doc(a: [1, 2], b: "ŵ"))

            let nulls = rows[1]
            for column in ["t", "i8", "i4", "i2", "b", "d", "n", "ts", "day", "u", "bytes", "doc"] {
                #expect(nulls.isNull(column), "column \(column)")
            }
            #expect(try nulls.decode("t", as: String?.self) == nil)
            #expect(try nulls.decode("i8", as: Int?.self) == nil)
            #expect(try nulls.decode("ts", as: Date?.self) == nil)
            #expect(try nulls.decode("u", as: UUID?.self) == nil)
        }
    }

    @Test("Welsh, other non-ASCII text and emoji are stored and read back byte for byte")
    func unicodeText() async throws {
        try await withTestDatabase { db, _ in
            let samples = [
                "Rwy'n teimlo'n fwy diogel: ŵ ŷ â ê î ô û ẁ ẃ ẅ ỳ ý ÿ", "Dw i ddim yn gwybod 🙂👍🏽", "naïve café – “quoted” ‘text’",
                "line one\nline two\r\nline three\ttabbed", "O'Brien; DROP TABLE sample; --", "ζ 日本語 עברית العربية",
            ]
            try await db.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)")
            for (index, sample) in samples.enumerated() {
                try await db.execute("INSERT INTO note VALUES (\(index), \(sample))")
            }
            let rows = try await db.query("SELECT body, length(body) AS chars FROM note ORDER BY id")
            #expect(try rows.map { try $0.decode("body", as: String.self) } == samples)
            #expect(try rows.map { try $0.decode("chars", as: Int.self) } == samples.map { $0.unicodeScalars.count })
        }
    }

    @Test("1 MB of text survives the round trip")
    func megabyteOfText() async throws {
        try await withTestDatabase { db, _ in
            let big = String(repeating: "Roedd y swyddog yn garedig. ", count: 1_048_576 / 28 + 1)
            #expect(big.utf8.count >= 1_048_576)
            let rows = try await db.query("SELECT \(big)::text AS body, md5(\(big)) AS digest")
            #expect(try rows[0].decode("body", as: String.self) == big)
            #expect(try rows[0].decode("digest", as: String.self).count == 32)
        }
    }

    @Test("interpolated values become $n parameters and never enter the SQL text")
    func interpolationBinds() async throws {
        let hostile = "'; DROP TABLE note; --"
        let query: PostgresQuery = "SELECT * FROM note WHERE body = \(hostile) AND id > \(3)"
        #expect(query.sql == "SELECT * FROM note WHERE body = $1 AND id > $2")
        #expect(query.values == [hostile, "3"])
        #expect(!query.description.contains("DROP"))
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)")
            try await db.execute("INSERT INTO note VALUES (10, \(hostile))")
            let rows = try await db.query(query)
            #expect(try rows.map { try $0.decode("body", as: String.self) } == [hostile])
        }
    }

    @Test("arrays bind for = ANY, and appended fragments are renumbered")
    func arraysAndAppend() async throws {
        try await withTestDatabase { db, _ in
            var query: PostgresQuery = "SELECT x FROM unnest(\(["a", "b\"q", "c,d"])::text[]) AS x WHERE x <> \("zz")"
            query.append(" AND x = ANY(\(["a", "c,d"]))")
            #expect(query.sql.hasSuffix("x = ANY($3)"))
            let rows = try await db.query(query)
            #expect(try rows.map { try $0.decode("x", as: String.self) } == ["a", "c,d"])
        }
    }

    @Test("a value that does not fit the requested type names the column and both types")
    func decodingErrors() async throws {
        try await withTestDatabase { db, _ in
            let rows = try await db.query("SELECT 'not a number'::text AS label, NULL::integer AS missing, 70000 AS big")
            #expect {
                try rows[0].decode("label", as: Int.self)
            } throws: { error in
                let text = "\(error)"
                return text.contains("label") && text.contains("text") && text.contains("Int")
            }
            #expect {
                try rows[0].decode("missing", as: Int.self)
            } throws: { error in
                "\(error)".contains("missing") && "\(error)".contains("NULL")
            }
            #expect {
                try rows[0].decode("big", as: Int16.self)
            } throws: { error in
                "\(error)".contains("big") && "\(error)".contains("Int16")
            }
            #expect {
                try rows[0].decode("nope", as: Int.self)
            } throws: { error in
                "\(error)".contains("no column named nope")
            }
        }
    }
}
