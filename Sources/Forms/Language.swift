/// A language a form is shown in: English or Welsh, always both.
public enum Language: String, Sendable, Hashable, CaseIterable, Codable {
    /// English.
    case en
    /// Welsh (Cymraeg).
    case cy
}

/// A text given in English and in Welsh.
public struct LocalizedText: Sendable, Hashable {
    /// The English text.
    public let en: String
    /// The Welsh text.
    public let cy: String

    /// Makes a text from its English and Welsh versions.
    public init(en: String, cy: String) {
        self.en = en
        self.cy = cy
    }

    /// The text in the given language.
    public func text(_ language: Language) -> String {
        switch language {
        case .en: en
        case .cy: cy
        }
    }
}
