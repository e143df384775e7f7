import Forms

/// The text message a provider sends with each code, in English and Welsh, and the link in it.
///
/// **Length.** The whole message, link included, must go as one SMS: 160 characters of the GSM 03.38 7-bit alphabet.
/// One character outside it (a Welsh circumflex such as ŵ or â, a curly apostrophe, an emoji) makes the phone network
/// send the message as UCS-2, where one SMS holds only 70 characters, so the templates use only the basic 7-bit
/// alphabet (the Welsh avoids circumflexes; the apostrophe is the straight one), and `problem(baseURL:)` checks every
/// message against both rules before a batch is issued.
///
/// **The link** is `BASE/p/ABCDE-FGHJK`: 14 characters after the host. The English text before it is 89 characters,
/// so with `https://` a host name of up to 49 characters fits (`stakeholder-views.justice.gov.uk` is 32). The code is the same 10 Crockford base-32
/// characters (50 bits) as a victim's access code, so it is typed, read aloud and normalised the same way (spaces,
/// lower case, O for 0, I or L for 1) and keeps its guessing margin: with 100,000 codes live, one guess in about
/// 10¹⁰ hits one, and guesses are limited to 30 failures per 15 minutes per address. A longer code would cost
/// message text; a shorter one would make guessing a live code practical.
public enum SurveyCodeMessage {
    /// The most characters one SMS carries in the GSM 7-bit alphabet.
    public static let smsLimit = 160

    /// The link a code opens.
    public static func link(baseURL: String, code: String) -> String {
        "\(baseURL)/p/\(LinkSecrets.display(code: code))"
    }

    /// The message in `language`, with `link` at its end.
    public static func text(_ language: Language, link: String) -> String {
        switch language {
        case .en: "HM Inspectorate of Probation wants your views of probation. Private, 5 minutes, one use: \(link)"
        case .cy: "Mae Arolygiaeth Prawf EF eisiau eich barn am brawf. Preifat, 5 munud, un defnydd: \(link)"
        }
    }

    /// Why messages for this service's address cannot go as one SMS each, or nil when they can (the longest code
    /// link is checked: every code has the same length).
    public static func problem(baseURL: String) -> String? {
        let link = link(baseURL: baseURL, code: String(repeating: "W", count: LinkSecrets.codeLength))
        for language in [Language.en, .cy] {
            let message = text(language, link: link)
            guard let length = gsmLength(message) else {
                return "The \(language == .en ? "English" : "Welsh") message has a character outside the text-message alphabet"
            }
            if length > smsLimit {
                return
                    "The \(language == .en ? "English" : "Welsh") message with this service's address is \(length) characters, more than one text message (\(smsLimit)): set a shorter PUBLIC_BASE_URL"
            }
        }
        return nil
    }

    /// The length of `text` in GSM 03.38 septets (the extension characters count two), or nil when a character is not
    /// in the alphabet.
    public static func gsmLength(_ text: String) -> Int? {
        var length = 0
        for character in text {
            if basic.contains(character) {
                length += 1
            } else if extended.contains(character) {
                length += 2
            } else {
                return nil
            }
        }
        return length
    }

    /// The GSM 03.38 basic character set.
    static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    /// The characters the GSM 03.38 extension table adds (each sent as an escape and the character).
    static let extended: Set<Character> = Set("^{}\\[~]|€\u{000C}")
}
