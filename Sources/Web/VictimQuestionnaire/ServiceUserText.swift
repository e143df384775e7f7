import Domain
import Forms

/// Who a questionnaire's pages speak to. The journey is the same engine for both; only the words that name the
/// service, the person's contact and the letter differ (people on probation get a code by text message, not a letter
/// from a Victim Liaison Officer).
enum Audience: Sendable, Hashable {
    case victim
    case personOnProbation

    /// The audience of the questionnaire `formID`.
    init(formID: String) {
        self = formID == InvitationAccess.serviceUserFormID ? .personOnProbation : .victim
    }

    /// The words of `key` for this audience in `language`.
    func text(_ key: VictimText, _ language: Language) -> String {
        guard self == .personOnProbation, let words = ServiceUserText.words(key) else { return key.text(language) }
        return words.text(language)
    }
}

/// The words of the questionnaire pages for people on probation that differ from the victims' (issue 21), in English
/// and Welsh. The Welsh is the project's own and awaits professional review, as the form definitions' does.
enum ServiceUserText {
    /// The override for `key`, or nil when the victims' words serve everyone.
    static func words(_ key: VictimText) -> LocalizedText? {
        switch key {
        case .serviceName:
            LocalizedText(en: "Your views of probation", cy: "Eich barn am y gwasanaeth prawf")
        case .startTitle:
            LocalizedText(en: "Tell us what you think of probation", cy: "Dywedwch wrthym beth yw eich barn am y gwasanaeth prawf")
        case .startIntro:
            LocalizedText(
                en:
                    "HM Inspectorate of Probation checks how well probation works in your area. We would like to know what you think of the probation service you get.",
                cy:
                    "Mae Arolygiaeth Prawf EF yn gwirio pa mor dda y mae’r gwasanaeth prawf yn gweithio yn eich ardal chi. Hoffem wybod beth yw eich barn am y gwasanaeth prawf a gewch."
            )
        case .startTime:
            LocalizedText(
                en: "It takes about 5 minutes. You do not have to take part.",
                cy: "Mae’n cymryd tua 5 munud. Nid oes rhaid i chi gymryd rhan."
            )
        case .startVLO:
            LocalizedText(
                en: "Your probation worker will not see your answers. Taking part, or not, makes no difference to your order or licence.",
                cy:
                    "Ni fydd eich gweithiwr prawf yn gweld eich atebion. Nid yw cymryd rhan, neu beidio, yn gwneud unrhyw wahaniaeth i’ch gorchymyn na’ch trwydded."
            )
        case .startSkip:
            LocalizedText(
                en:
                    "You can skip any question. Your answers are saved as you go. To carry on later on another device you need your resume code as well as your text message.",
                cy:
                    "Gallwch hepgor unrhyw gwestiwn. Caiff eich atebion eu cadw wrth i chi fynd. I barhau yn nes ymlaen ar ddyfais arall, bydd angen eich cod ailddechrau arnoch yn ogystal â’ch neges destun."
            )
        case .startSupport:
            LocalizedText(
                en: "If you need support, you can call Samaritans free on 116 123, at any time.",
                cy: "Os oes angen cymorth arnoch, gallwch ffonio’r Samariaid am ddim ar 116 123, ar unrhyw adeg."
            )
        case .startUrgent:
            LocalizedText(
                en: "If you or someone else is in danger now, call 999. For support at any time, call Samaritans free on 116 123.",
                cy: "Os ydych chi neu rywun arall mewn perygl nawr, ffoniwch 999. Am gymorth ar unrhyw adeg, ffoniwch y Samariaid am ddim ar 116 123."
            )
        case .startResumeCode:
            LocalizedText(
                en:
                    "When you start, we will show you a resume code. Only someone with that code can see or change the answers you save, carry on on another device, or withdraw your answers. Your text message alone cannot open them.",
                cy:
                    "Pan fyddwch yn dechrau, byddwn yn dangos cod ailddechrau i chi. Dim ond rhywun sydd â’r cod hwnnw all weld neu newid yr atebion rydych yn eu cadw, parhau ar ddyfais arall, neu dynnu eich atebion yn ôl. Ni all eich neges destun ar ei phen ei hun eu hagor."
            )
        case .startedBody:
            LocalizedText(
                en:
                    "Answers have been saved with this code. To carry on, enter the resume code that was shown on screen. Without it nobody can see those answers, even with the text message.",
                cy:
                    "Mae atebion wedi cael eu cadw gyda’r cod hwn. I barhau, rhowch y cod ailddechrau a ddangoswyd ar y sgrin. Hebddo ni all neb weld yr atebion hynny, hyd yn oed gyda’r neges destun."
            )
        case .resumeCodeKeep:
            LocalizedText(
                en:
                    "Write it down and keep it private. You need it to carry on later on another device, or to withdraw your answers after sending them.",
                cy:
                    "Ysgrifennwch ef i lawr a’i gadw’n breifat. Mae ei angen arnoch i barhau yn nes ymlaen ar ddyfais arall, neu i dynnu eich atebion yn ôl ar ôl eu hanfon."
            )
        case .codeHint:
            LocalizedText(
                en: "This is the 10-character code in your text message, for example 7KQ4M-T2XPA.",
                cy: "Dyma’r cod 10 nod yn eich neges destun, er enghraifft 7KQ4M-T2XPA."
            )
        case .codeError, .codeErrorSummary:
            LocalizedText(
                en: "Enter the code exactly as it is shown in your text message",
                cy: "Rhowch y cod yn union fel y mae yn eich neges destun"
            )
        case .notWorkingBody:
            LocalizedText(
                en: "It may have been typed incorrectly, or the survey may have closed. Check the code in your text message and try again.",
                cy:
                    "Efallai ei fod wedi’i deipio’n anghywir, neu efallai fod yr arolwg wedi cau. Gwiriwch y cod yn eich neges destun a rhowch gynnig arall arni."
            )
        case .notWorkingContact:
            LocalizedText(
                en: "Each code works for one person once. If you have already sent your answers, thank you: there is nothing more to do.",
                cy: "Mae pob cod yn gweithio unwaith i un person. Os ydych eisoes wedi anfon eich atebion, diolch: nid oes dim mwy i’w wneud."
            )
        case .privacyWhat:
            LocalizedText(
                en:
                    "We do not ask for your name, address, email, phone number or case details, and we do not record them: your probation service sent the text message, and never gave us your number. Your answers are stored without any link to the code you used. We use one cookie, only while you are answering, so that the service knows which questionnaire you are filling in. There are no analytics or advertising cookies.",
                cy:
                    "Nid ydym yn gofyn am eich enw, eich cyfeiriad, eich e-bost, eich rhif ffôn na manylion eich achos, ac nid ydym yn eu cofnodi: eich gwasanaeth prawf a anfonodd y neges destun, ac ni roddodd eich rhif i ni erioed. Caiff eich atebion eu storio heb unrhyw gysylltiad â’r cod a ddefnyddiwyd gennych. Rydym yn defnyddio un cwci, dim ond tra byddwch yn ateb, fel bod y gwasanaeth yn gwybod pa holiadur rydych yn ei lenwi. Nid oes cwcis dadansoddi na hysbysebu."
            )
        case .privacyWhy:
            LocalizedText(
                en:
                    "We use your answers, added together with other people’s, to judge how well the probation service works with people on probation, and we publish only totals that cannot identify anyone. Because your answers are about your time on probation, we treat them as criminal offence data and protect them accordingly.",
                cy:
                    "Rydym yn defnyddio eich atebion, wedi’u cyfuno ag atebion pobl eraill, i farnu pa mor dda y mae’r gwasanaeth prawf yn gweithio gyda phobl ar brawf, a dim ond cyfansymiau na allant adnabod neb a gyhoeddir gennym. Gan fod eich atebion yn ymwneud â’ch amser ar brawf, rydym yn eu trin fel data troseddau ac yn eu diogelu yn unol â hynny."
            )
        case .privacyRights:
            LocalizedText(
                en:
                    "You have rights over your data, including to ask what we hold and to complain to the Information Commissioner’s Office. We cannot tell which answers are yours, and your text message cannot open them: only your resume code, shown on screen while you answer, lets you carry on or withdraw your answers. If you lose it, we cannot find your answers for you.",
                cy:
                    "Mae gennych hawliau dros eich data, gan gynnwys gofyn beth sydd gennym a chwyno i Swyddfa’r Comisiynydd Gwybodaeth. Ni allwn ddweud pa atebion sy’n perthyn i chi, ac ni all eich neges destun eu hagor: dim ond eich cod ailddechrau, a ddangosir ar y sgrin wrth i chi ateb, sy’n gadael i chi barhau neu dynnu eich atebion yn ôl. Os byddwch yn ei golli, ni allwn ddod o hyd i’ch atebion i chi."
            )
        case .accessibilityProblems:
            LocalizedText(
                en:
                    "If you find a problem, tell HM Inspectorate of Probation. If you are not happy with our response, contact the Equality Advisory and Support Service (EASS).",
                cy:
                    "Os byddwch yn dod o hyd i broblem, dywedwch wrth Arolygiaeth Prawf EF. Os nad ydych yn fodlon â’n hymateb, cysylltwch â’r Gwasanaeth Cynghori a Chymorth Cydraddoldeb (EASS)."
            )
        default: nil
        }
    }
}
