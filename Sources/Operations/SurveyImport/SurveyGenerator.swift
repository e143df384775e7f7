import Domain
import Forms
import Foundation

/// Writes a synthetic service-user survey file that fits a codebook: deterministic for a given seed, with an
/// optional share of realistic faults (unknown provider, a value outside the codes, a missing required value, a
/// different year, a repeated respondent id). For tests, demos and the benchmark.
public struct SurveyGenerator: Sendable {
    public struct Options: Sendable {
        public var rows: Int
        public var year: Int
        public var seed: UInt64
        /// Share of rows with one fault, from 0 to 1.
        public var errorRate: Double = 0
        public var lineEnding = "\n"
        public var byteOrderMark = false

        public init(rows: Int, year: Int, seed: UInt64, errorRate: Double = 0) {
            self.rows = rows
            self.year = year
            self.seed = seed
            self.errorRate = errorRate
        }
    }

    public let codebook: Codebook
    public let options: Options

    public init(codebook: Codebook, options: Options) {
        self.codebook = codebook
        self.options = options
    }

    /// Writes the header and rows to `handle`, in chunks of about 1 MiB.
    public func write(to handle: FileHandle) throws {
        var random = SplitMix64(seed: options.seed)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20 + 4096)
        if options.byteOrderMark { out.append(contentsOf: [0xEF, 0xBB, 0xBF]) }
        let variables = codebook.variables
        out.append(contentsOf: variables.map(\.id).joined(separator: ",").utf8)
        out.append(contentsOf: options.lineEnding.utf8)
        let questionIndexes = variables.indices.filter { variables[$0].role == .question }
        let providerCodes = variables.first { $0.role == .provider }?.codes ?? []
        for row in 1...max(options.rows, 1) where options.rows > 0 {
            let fault = random.unit() < options.errorRate ? Int(random.next() % 5) : -1
            let provider = providerCodes.isEmpty ? nil : providerCodes[Int(random.next() % UInt64(providerCodes.count))]
            let faultyQuestion = questionIndexes.isEmpty ? -1 : questionIndexes[Int(random.next() % UInt64(questionIndexes.count))]
            for (index, variable) in variables.enumerated() {
                if index > 0 { out.append(0x2C) }
                let value: String
                switch variable.role {
                case .year:
                    value = fault == 3 ? String(options.year - 1) : String(options.year)
                case .provider:
                    value = fault == 0 ? "99" : fault == 2 ? "" : provider?.code ?? "1"
                case .providerName:
                    value = provider?.label.en ?? ""
                case .subarea:
                    value = "L\(provider?.code ?? "0")-\(random.next() % 12 + 1)"
                case .identifier:
                    value = fault == 4 && row > 1 ? String(row - 1) : String(row)
                case .weight:
                    value = random.unit() < 0.7 ? "1" : String(format: "%.2f", 0.5 + random.unit())
                default:
                    value = index == faultyQuestion && fault == 1 ? "7" : ordinaryValue(variable, &random)
                }
                appendField(value, to: &out)
            }
            out.append(contentsOf: options.lineEnding.utf8)
            if out.count >= 1 << 20 {
                try handle.write(contentsOf: out)
                out.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: out)
    }

    private func ordinaryValue(_ variable: CodebookVariable, _ random: inout SplitMix64) -> String {
        let roll = random.unit()
        if !variable.missing.isEmpty && roll < 0.08 { return variable.missing[Int(random.next() % UInt64(variable.missing.count))] }
        if !variable.required && roll < 0.1 { return "" }
        switch variable.type {
        case .flag:
            return random.unit() < 0.35 ? "1" : "0"
        case .integer:
            let low = variable.min ?? 0
            let high = variable.max ?? low + 100
            return String(low + Int(random.next() % UInt64(high - low + 1)))
        case .code:
            guard !variable.codes.isEmpty else { return "" }
            // Skewed towards the first codes, as satisfaction answers are.
            let position = Int(Double(variable.codes.count) * random.unit() * random.unit())
            return variable.codes[min(position, variable.codes.count - 1)].code
        case .decimal:
            return "1"
        case .text:
            return "x"
        }
    }

    private func appendField(_ value: String, to out: inout [UInt8]) {
        if value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            out.append(0x22)
            for byte in value.utf8 {
                if byte == 0x22 { out.append(0x22) }
                out.append(byte)
            }
            out.append(0x22)
        } else {
            out.append(contentsOf: value.utf8)
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same file on every machine.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
