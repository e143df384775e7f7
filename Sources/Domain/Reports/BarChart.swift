import Foundation

/// A server-rendered horizontal bar chart of percentages with 95% interval whiskers, readable without colour: bars
/// are outlined and hatched, whiskers are black lines with end caps, and each row is labelled with its value or
/// `[c]`. The chart is `role="img"` with a title and description; the data table beside it is its text alternative.
public struct BarChart: Sendable {
    public struct Bar: Sendable, Equatable {
        /// A short label drawn at the left (the data table holds the full wording).
        public let label: String
        /// The percentage, nil when it is suppressed.
        public let percent: Double?
        public let interval: ConfidenceInterval?
        /// The text drawn after the bar ("62% [u]", "[c]").
        public let valueText: String

        public init(label: String, percent: Double?, interval: ConfidenceInterval?, valueText: String) {
            self.label = label
            self.percent = percent
            self.interval = interval
            self.valueText = valueText
        }
    }

    public let id: String
    public let title: String
    public let bars: [Bar]
    /// The width kept for the labels at the left (wider for words than for question numbers).
    public let labelWidth: Double
    /// What the chart's description says it shows.
    public let summary: String

    public init(
        id: String,
        title: String,
        bars: [Bar],
        labelWidth: Double = 120,
        summary: String = "Bar chart of percentages with 95% confidence intervals as whiskers."
    ) {
        self.id = id
        self.title = title
        self.bars = bars
        self.labelWidth = labelWidth
        self.summary = summary
    }

    /// Whether there is anything to draw: a chart with no shown bar is never rendered (the page says why instead).
    public var hasData: Bool { bars.contains { $0.percent != nil } }

    static let plotWidth = 400.0
    static let rowHeight = 30.0

    /// The SVG markup, escaped by construction; empty when there is nothing to draw.
    public var svg: String {
        guard hasData else { return "" }
        let width = labelWidth + Self.plotWidth + 90
        let height = Double(bars.count) * Self.rowHeight + 40
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 \(Int(width)) \(Int(height))" \
            aria-labelledby="\(id)-title \(id)-desc" focusable="false">\
            <title id="\(id)-title">\(HTMLText.escape(title))</title>\
            <desc id="\(id)-desc">\(HTMLText.escape(summary)) The table that follows gives the same figures.</desc>\
            <defs><pattern id="\(id)-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
            <rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#0b0c0c" stroke-width="2"/></pattern></defs>
            """
        // Axis: 0, 25, 50, 75, 100%.
        for tick in stride(from: 0, through: 100, by: 25) {
            let x = self.x(Double(tick))
            out += "<line x1=\"\(f(x))\" y1=\"4\" x2=\"\(f(x))\" y2=\"\(f(height - 24))\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(f(height - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#0b0c0c\">\(tick)%</text>"
        }
        for (index, bar) in bars.enumerated() {
            let top = Double(index) * Self.rowHeight + 6
            let middle = top + 10
            out += "<text x=\"0\" y=\"\(f(middle + 4))\" font-size=\"13\" fill=\"#0b0c0c\">\(HTMLText.escape(bar.label))</text>"
            if let percent = bar.percent {
                let end = x(percent)
                out += "<rect x=\"\(f(labelWidth))\" y=\"\(f(top))\" width=\"\(f(end - labelWidth))\" height=\"20\" "
                out += "fill=\"url(#\(id)-hatch)\" stroke=\"#0b0c0c\" stroke-width=\"1\"/>"
            }
            var textX = x(bar.percent ?? 0) + 6
            if let interval = bar.interval {
                let (low, high) = (x(interval.low), x(interval.high))
                out += "<line x1=\"\(f(low))\" y1=\"\(f(middle))\" x2=\"\(f(high))\" y2=\"\(f(middle))\" stroke=\"#0b0c0c\" stroke-width=\"2\"/>"
                out +=
                    "<line x1=\"\(f(low))\" y1=\"\(f(middle - 6))\" x2=\"\(f(low))\" y2=\"\(f(middle + 6))\" stroke=\"#0b0c0c\" stroke-width=\"2\"/>"
                out +=
                    "<line x1=\"\(f(high))\" y1=\"\(f(middle - 6))\" x2=\"\(f(high))\" y2=\"\(f(middle + 6))\" stroke=\"#0b0c0c\" stroke-width=\"2\"/>"
                textX = max(textX, high + 6)
            }
            out +=
                "<text x=\"\(f(textX))\" y=\"\(f(middle + 4))\" font-size=\"13\" font-weight=\"bold\" fill=\"#0b0c0c\">\(HTMLText.escape(bar.valueText))</text>"
        }
        return out + "</svg>"
    }

    func x(_ percent: Double) -> Double { labelWidth + Self.plotWidth * min(100, max(0, percent)) / 100 }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// HTML escaping for markup the report builds itself (SVG), before it goes out through a triple mustache.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
