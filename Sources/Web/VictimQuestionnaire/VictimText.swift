import Domain
import Forms

/// Every word of the victim pages that is not in the form definition, in English and Welsh.
///
/// The Welsh is the project's own and awaits professional review (as the form definitions do).
enum VictimText: String, CaseIterable {
    case serviceName, skipLink, exitPage, switchToOther, otherLanguageName, phaseBanner
    case startTitle, startIntro, startTime, startConfidential, startVLO, startSkip, startWithdraw, startSafeguarding, startSupport
    case startButton, resumeButton, alreadyAnsweredTitle, alreadyAnsweredBody, withdrawLink
    case startNotRead, startUrgent, startResumeCode, startedTitle, startedBody, startAgainTitle, startAgainBody, startAgainButton
    case resumeCodeLabel, resumeCodeHint, resumeCodeError, resumeCodeNotice, resumeCodeKeep, withdrawCodeButton, warningHidden
    case codeTitle, codeLabel, codeHint, codeButton, codeError, codeErrorSummary
    case back, continueButton, saveAndContinue, checkTitle, checkIntro, change, notAnswered, submitTitle, submitBody, submitButton
    case doneTitle, doneBody, doneWithdrawIntro, doneWithdrawLink, doneClose
    case withdrawTitle, withdrawBody, withdrawButton, withdrawnTitle, withdrawnBody
    case notWorkingTitle, notWorkingBody, notWorkingContact, tooManyTitle, tooManyBody
    case errorSummaryTitle, badRequestTitle, badRequestBody, tooLargeTitle, tooLargeBody, expiredSessionTitle, expiredSessionBody
    case questionProgress, footerText, privacyLink, accessibilityLink
    case privacyTitle, privacyWho, privacyWhat, privacyWhy, privacyKept, privacyRights, privacySafeguarding
    case accessibilityTitle, accessibilityStandard, accessibilityTesting, accessibilityUse, accessibilityProblems

    var en: String {
        switch self {
        case .serviceName: "Victims’ views of probation"
        case .skipLink: "Skip to main content"
        case .exitPage: "Exit this page"
        case .switchToOther: "Cymraeg"
        case .otherLanguageName: "Welsh"
        case .phaseBanner: "This questionnaire is from HM Inspectorate of Probation."
        case .startTitle: "Tell us about the victim contact service"
        case .startIntro:
            "HM Inspectorate of Probation is inspecting the probation service in your area. We would like to know what you think of the contact you have had with its Victim Liaison Officer."
        case .startTime: "It takes about 10 minutes."
        case .startConfidential:
            "Your answers are confidential. We do not ask for your name or contact details, and your answers are not linked to you."
        case .startVLO: "Your Victim Liaison Officer will not see your answers."
        case .startSkip:
            "You can skip any question. Your answers are saved as you go. To carry on later on another device you need your resume code as well as your letter."
        case .startWithdraw:
            "If you change your mind after sending your answers, you can withdraw them with your resume code until the survey closes."
        case .startSafeguarding:
            "If something you write makes us think you or someone else may be at risk of harm now, a named inspector will read it and may pass it on so that you can get help."
        case .startSupport: "If you need support, you can contact Victim Support free on 08 08 16 89 111, or your Victim Liaison Officer."
        case .startNotRead:
            "Your answers are not read straight away. They are kept locked until at least 10 people from your area have answered, or until the survey closes. This questionnaire is not the way to get urgent help."
        case .startUrgent:
            "If you or someone else is in danger now, call 999. For support at any time, call Victim Support free on 08 08 16 89 111, or contact your Victim Liaison Officer."
        case .startResumeCode:
            "When you start, we will show you a resume code. Only someone with that code can see or change the answers you save, carry on on another device, or withdraw your answers. Your letter alone cannot open them."
        case .startedTitle: "This questionnaire has already been started"
        case .startedBody:
            "Answers have been saved with this link or code. To carry on, enter the resume code that was shown on screen. Without it nobody can see those answers, even with the letter."
        case .startAgainTitle: "If you do not have the resume code"
        case .startAgainBody:
            "You can start again with no answers. The answers saved before stay locked and unseen, and are deleted when answers are sent for this link or the survey closes."
        case .startAgainButton: "Start again"
        case .resumeCodeLabel: "Resume code"
        case .resumeCodeHint: "This is the 12-character code that was shown on screen, for example 7KQ4-M2XP-A9RT."
        case .resumeCodeError: "Enter the resume code exactly as it was shown on screen"
        case .resumeCodeNotice: "Your resume code is"
        case .resumeCodeKeep:
            "Write it down and keep it private: do not write it on your letter. You need it to carry on later on another device, or to withdraw your answers after sending them."
        case .withdrawCodeButton: "Continue to withdraw"
        case .warningHidden: "Warning"
        case .startButton: "Start now"
        case .resumeButton: "Continue where you left off"
        case .alreadyAnsweredTitle: "You have already sent your answers"
        case .alreadyAnsweredBody:
            "Answers have been sent for this link. To withdraw them, enter the resume code that was shown on screen when they were answered."
        case .withdrawLink: "Withdraw my answers"
        case .codeTitle: "Enter your access code"
        case .codeLabel: "Access code"
        case .codeHint: "This is the 10-character code in your letter, for example 7KQ4M-T2XPA."
        case .codeButton: "Continue"
        case .codeError: "Enter the access code exactly as it is shown in your letter"
        case .codeErrorSummary: "Enter the access code exactly as it is shown in your letter"
        case .back: "Back"
        case .continueButton: "Continue"
        case .saveAndContinue: "Save and continue"
        case .checkTitle: "Check your answers before sending them"
        case .checkIntro: "You can change any answer before you send them."
        case .change: "Change"
        case .notAnswered: "Not answered"
        case .submitTitle: "Now send your answers"
        case .submitBody:
            "By sending your answers you are confirming that they are yours to give. You can withdraw them later with your resume code until the survey closes."
        case .submitButton: "Send my answers"
        case .doneTitle: "Answers sent"
        case .doneBody: "Thank you for telling us about your experience. Your answers will help the inspection of probation in your area."
        case .doneWithdrawIntro: "If you change your mind, you can withdraw your answers with your resume code until the survey closes."
        case .doneWithdrawLink: "Withdraw my answers"
        case .doneClose: "You can now close this page."
        case .withdrawTitle: "Are you sure you want to withdraw your answers?"
        case .withdrawBody: "Your answers will be deleted and will not be used in the inspection. This cannot be undone."
        case .withdrawButton: "Yes, withdraw my answers"
        case .withdrawnTitle: "Your answers have been withdrawn"
        case .withdrawnBody: "Your answers have been deleted and will not be used in the inspection."
        case .notWorkingTitle: "This link or code does not work"
        case .notWorkingBody:
            "It may have been typed incorrectly, it may have been replaced, or the survey may have closed. Check the link or code in your letter and try again."
        case .notWorkingContact: "If it still does not work, your Victim Liaison Officer can send you a new one."
        case .tooManyTitle: "Too many attempts"
        case .tooManyBody: "There have been too many attempts to use a link or code from this connection. Wait 15 minutes, then try again."
        case .errorSummaryTitle: "There is a problem"
        case .badRequestTitle: "Sorry, there is a problem with what was sent"
        case .badRequestBody: "Nothing has been changed. Go back to the page and try again."
        case .tooLargeTitle: "What was sent is too large"
        case .tooLargeBody: "Nothing has been changed. Go back to the page, shorten your answer and try again."
        case .expiredSessionTitle: "You have been away for a while"
        case .expiredSessionBody:
            "For your privacy, we stopped your session after an hour without activity. Your answers so far are saved: open your link again, or enter your access code, to carry on."
        case .questionProgress: "Questionnaire"
        case .footerText: "HM Inspectorate of Probation"
        case .privacyLink: "Privacy notice"
        case .accessibilityLink: "Accessibility statement"
        case .privacyTitle: "Privacy notice"
        case .privacyWho:
            "HM Inspectorate of Probation runs this questionnaire as part of its statutory inspections of probation services. It is responsible for what happens to your answers."
        case .privacyWhat:
            "We do not ask for your name, address, email or phone number, and we do not record them. Your answers are stored without any link to the letter, the link or the code you used, or to your Victim Liaison Officer. We use one cookie, only while you are answering, so that the service knows which questionnaire you are filling in. There are no analytics or advertising cookies."
        case .privacyWhy:
            "We use your answers, added together with other people’s, to judge how well the probation service works with victims, and we publish only totals that cannot identify anyone. Because your answers are about a crime, we treat them as criminal offence data and protect them accordingly."
        case .privacyKept:
            "Your answers are kept locked until at least 10 people from your area have answered, or the survey closes; only then are they added, in a random order, to the answers inspectors read. They are kept until the inspection report is published and for 12 months after that, then deleted; only totals are kept after that."
        case .privacyRights:
            "You have rights over your data, including to ask what we hold and to complain to the Information Commissioner’s Office. We cannot tell which answers are yours, and your letter cannot open them: only your resume code, shown on screen while you answer, lets you carry on or withdraw your answers. If you lose it, we cannot find your answers for you."
        case .privacySafeguarding:
            "If something you write suggests that you or someone else may be at risk of harm now, a named inspector will read it and may share it with the right service so that help can be given."
        case .accessibilityTitle: "Accessibility statement"
        case .accessibilityStandard:
            "We want as many people as possible to be able to use this questionnaire. It is designed to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 at level AA."
        case .accessibilityTesting:
            "Every page is tested automatically in a real browser with axe-core against WCAG 2.2 A and AA, including pages that show errors, at 320 and 1280 pixels wide. The whole questionnaire is completed in English and in Welsh using only a keyboard in every test run, and it works without JavaScript."
        case .accessibilityUse:
            "You can zoom in up to 400% without text spilling off the screen, navigate with a keyboard or speech recognition, and use a screen reader. Every page is available in English and Welsh."
        case .accessibilityProblems:
            "If you find a problem, tell your Victim Liaison Officer or HM Inspectorate of Probation. If you are not happy with our response, contact the Equality Advisory and Support Service (EASS)."
        }
    }

    var cy: String {
        switch self {
        case .serviceName: "Barn dioddefwyr am y gwasanaeth prawf"
        case .skipLink: "Neidio i’r prif gynnwys"
        case .exitPage: "Gadael y dudalen hon"
        case .switchToOther: "English"
        case .otherLanguageName: "Saesneg"
        case .phaseBanner: "Mae’r holiadur hwn gan Arolygiaeth Prawf EF."
        case .startTitle: "Dywedwch wrthym am y gwasanaeth cyswllt â dioddefwyr"
        case .startIntro:
            "Mae Arolygiaeth Prawf EF yn arolygu’r gwasanaeth prawf yn eich ardal chi. Hoffem wybod beth yw eich barn am y cyswllt a gawsoch gyda’i Swyddog Cyswllt Dioddefwyr."
        case .startTime: "Mae’n cymryd tua 10 munud."
        case .startConfidential:
            "Mae eich atebion yn gyfrinachol. Nid ydym yn gofyn am eich enw na’ch manylion cyswllt, ac nid yw eich atebion yn cael eu cysylltu â chi."
        case .startVLO: "Ni fydd eich Swyddog Cyswllt Dioddefwyr yn gweld eich atebion."
        case .startSkip:
            "Gallwch hepgor unrhyw gwestiwn. Caiff eich atebion eu cadw wrth i chi fynd. I barhau yn nes ymlaen ar ddyfais arall, bydd angen eich cod ailddechrau arnoch yn ogystal â’ch llythyr."
        case .startWithdraw:
            "Os byddwch yn newid eich meddwl ar ôl anfon eich atebion, gallwch eu tynnu’n ôl gyda’ch cod ailddechrau hyd nes y bydd yr arolwg yn cau."
        case .startSafeguarding:
            "Os bydd rhywbeth y byddwch yn ei ysgrifennu yn gwneud i ni feddwl y gallech chi neu rywun arall fod mewn perygl o niwed nawr, bydd arolygydd a enwir yn ei ddarllen ac efallai’n ei drosglwyddo fel y gallwch gael help."
        case .startSupport:
            "Os oes angen cymorth arnoch, gallwch gysylltu â Cymorth i Ddioddefwyr am ddim ar 08 08 16 89 111, neu â’ch Swyddog Cyswllt Dioddefwyr."
        case .startNotRead:
            "Nid yw eich atebion yn cael eu darllen ar unwaith. Cânt eu cadw dan glo hyd nes y bydd o leiaf 10 o bobl o’ch ardal wedi ateb, neu nes y bydd yr arolwg yn cau. Nid yr holiadur hwn yw’r ffordd o gael help brys."
        case .startUrgent:
            "Os ydych chi neu rywun arall mewn perygl nawr, ffoniwch 999. Am gymorth ar unrhyw adeg, ffoniwch Cymorth i Ddioddefwyr am ddim ar 08 08 16 89 111, neu cysylltwch â’ch Swyddog Cyswllt Dioddefwyr."
        case .startResumeCode:
            "Pan fyddwch yn dechrau, byddwn yn dangos cod ailddechrau i chi. Dim ond rhywun sydd â’r cod hwnnw all weld neu newid yr atebion rydych yn eu cadw, parhau ar ddyfais arall, neu dynnu eich atebion yn ôl. Ni all eich llythyr ar ei ben ei hun eu hagor."
        case .startedTitle: "Mae’r holiadur hwn eisoes wedi cael ei ddechrau"
        case .startedBody:
            "Mae atebion wedi cael eu cadw gyda’r ddolen neu’r cod hwn. I barhau, rhowch y cod ailddechrau a ddangoswyd ar y sgrin. Hebddo ni all neb weld yr atebion hynny, hyd yn oed gyda’r llythyr."
        case .startAgainTitle: "Os nad oes gennych y cod ailddechrau"
        case .startAgainBody:
            "Gallwch ddechrau eto heb atebion. Bydd yr atebion a gadwyd o’r blaen yn aros dan glo heb eu gweld, ac yn cael eu dileu pan anfonir atebion ar gyfer y ddolen hon neu pan fydd yr arolwg yn cau."
        case .startAgainButton: "Dechrau eto"
        case .resumeCodeLabel: "Cod ailddechrau"
        case .resumeCodeHint: "Dyma’r cod 12 nod a ddangoswyd ar y sgrin, er enghraifft 7KQ4-M2XP-A9RT."
        case .resumeCodeError: "Rhowch y cod ailddechrau yn union fel y cafodd ei ddangos ar y sgrin"
        case .resumeCodeNotice: "Eich cod ailddechrau yw"
        case .resumeCodeKeep:
            "Ysgrifennwch ef i lawr a’i gadw’n breifat: peidiwch â’i ysgrifennu ar eich llythyr. Mae ei angen arnoch i barhau yn nes ymlaen ar ddyfais arall, neu i dynnu eich atebion yn ôl ar ôl eu hanfon."
        case .withdrawCodeButton: "Parhau i dynnu’n ôl"
        case .warningHidden: "Rhybudd"
        case .startButton: "Dechrau nawr"
        case .resumeButton: "Parhau o’r man lle gwnaethoch adael"
        case .alreadyAnsweredTitle: "Rydych eisoes wedi anfon eich atebion"
        case .alreadyAnsweredBody:
            "Mae atebion wedi cael eu hanfon ar gyfer y ddolen hon. I’w tynnu’n ôl, rhowch y cod ailddechrau a ddangoswyd ar y sgrin pan gawsant eu hateb."
        case .withdrawLink: "Tynnu fy atebion yn ôl"
        case .codeTitle: "Rhowch eich cod mynediad"
        case .codeLabel: "Cod mynediad"
        case .codeHint: "Dyma’r cod 10 nod yn eich llythyr, er enghraifft 7KQ4M-T2XPA."
        case .codeButton: "Parhau"
        case .codeError: "Rhowch y cod mynediad yn union fel y mae yn eich llythyr"
        case .codeErrorSummary: "Rhowch y cod mynediad yn union fel y mae yn eich llythyr"
        case .back: "Yn ôl"
        case .continueButton: "Parhau"
        case .saveAndContinue: "Cadw a pharhau"
        case .checkTitle: "Gwiriwch eich atebion cyn eu hanfon"
        case .checkIntro: "Gallwch newid unrhyw ateb cyn i chi eu hanfon."
        case .change: "Newid"
        case .notAnswered: "Heb ei ateb"
        case .submitTitle: "Anfonwch eich atebion nawr"
        case .submitBody:
            "Drwy anfon eich atebion rydych yn cadarnhau mai chi sydd â’r hawl i’w rhoi. Gallwch eu tynnu’n ôl yn nes ymlaen gyda’ch cod ailddechrau hyd nes y bydd yr arolwg yn cau."
        case .submitButton: "Anfon fy atebion"
        case .doneTitle: "Atebion wedi’u hanfon"
        case .doneBody: "Diolch am ddweud wrthym am eich profiad. Bydd eich atebion yn helpu’r arolygiad o’r gwasanaeth prawf yn eich ardal."
        case .doneWithdrawIntro:
            "Os byddwch yn newid eich meddwl, gallwch dynnu eich atebion yn ôl gyda’ch cod ailddechrau hyd nes y bydd yr arolwg yn cau."
        case .doneWithdrawLink: "Tynnu fy atebion yn ôl"
        case .doneClose: "Gallwch gau’r dudalen hon nawr."
        case .withdrawTitle: "Ydych chi’n siŵr eich bod am dynnu eich atebion yn ôl?"
        case .withdrawBody: "Bydd eich atebion yn cael eu dileu ac ni fyddant yn cael eu defnyddio yn yr arolygiad. Ni ellir dadwneud hyn."
        case .withdrawButton: "Ydw, tynnu fy atebion yn ôl"
        case .withdrawnTitle: "Mae eich atebion wedi’u tynnu’n ôl"
        case .withdrawnBody: "Mae eich atebion wedi’u dileu ac ni fyddant yn cael eu defnyddio yn yr arolygiad."
        case .notWorkingTitle: "Nid yw’r ddolen na’r cod hwn yn gweithio"
        case .notWorkingBody:
            "Efallai ei fod wedi’i deipio’n anghywir, efallai ei fod wedi’i ddisodli, neu efallai fod yr arolwg wedi cau. Gwiriwch y ddolen neu’r cod yn eich llythyr a rhowch gynnig arall arni."
        case .notWorkingContact: "Os nad yw’n gweithio o hyd, gall eich Swyddog Cyswllt Dioddefwyr anfon un newydd atoch."
        case .tooManyTitle: "Gormod o ymdrechion"
        case .tooManyBody: "Bu gormod o ymdrechion i ddefnyddio dolen neu god o’r cysylltiad hwn. Arhoswch 15 munud, yna rhowch gynnig arall arni."
        case .errorSummaryTitle: "Mae problem wedi codi"
        case .badRequestTitle: "Mae’n ddrwg gennym, mae problem gyda’r hyn a anfonwyd"
        case .badRequestBody: "Nid oes dim wedi newid. Ewch yn ôl i’r dudalen a rhowch gynnig arall arni."
        case .tooLargeTitle: "Mae’r hyn a anfonwyd yn rhy fawr"
        case .tooLargeBody: "Nid oes dim wedi newid. Ewch yn ôl i’r dudalen, byrhewch eich ateb a rhowch gynnig arall arni."
        case .expiredSessionTitle: "Rydych wedi bod i ffwrdd am gyfnod"
        case .expiredSessionBody:
            "Er mwyn diogelu eich preifatrwydd, gwnaethom ddod â’ch sesiwn i ben ar ôl awr heb weithgarwch. Mae eich atebion hyd yma wedi’u cadw: agorwch eich dolen eto, neu rhowch eich cod mynediad, i barhau."
        case .questionProgress: "Holiadur"
        case .footerText: "Arolygiaeth Prawf EF"
        case .privacyLink: "Hysbysiad preifatrwydd"
        case .accessibilityLink: "Datganiad hygyrchedd"
        case .privacyTitle: "Hysbysiad preifatrwydd"
        case .privacyWho:
            "Mae Arolygiaeth Prawf EF yn cynnal yr holiadur hwn fel rhan o’i harolygiadau statudol o wasanaethau prawf. Mae’n gyfrifol am yr hyn sy’n digwydd i’ch atebion."
        case .privacyWhat:
            "Nid ydym yn gofyn am eich enw, eich cyfeiriad, eich e-bost na’ch rhif ffôn, ac nid ydym yn eu cofnodi. Caiff eich atebion eu storio heb unrhyw gysylltiad â’r llythyr, y ddolen na’r cod a ddefnyddiwyd gennych, nac â’ch Swyddog Cyswllt Dioddefwyr. Rydym yn defnyddio un cwci, dim ond tra byddwch yn ateb, fel bod y gwasanaeth yn gwybod pa holiadur rydych yn ei lenwi. Nid oes cwcis dadansoddi na hysbysebu."
        case .privacyWhy:
            "Rydym yn defnyddio eich atebion, wedi’u cyfuno ag atebion pobl eraill, i farnu pa mor dda y mae’r gwasanaeth prawf yn gweithio gyda dioddefwyr, a dim ond cyfansymiau na allant adnabod neb a gyhoeddir gennym. Gan fod eich atebion yn ymwneud â throsedd, rydym yn eu trin fel data troseddau ac yn eu diogelu yn unol â hynny."
        case .privacyKept:
            "Caiff eich atebion eu cadw dan glo hyd nes y bydd o leiaf 10 o bobl o’ch ardal wedi ateb, neu nes y bydd yr arolwg yn cau; dim ond wedyn y cânt eu hychwanegu, mewn trefn ar hap, at yr atebion y mae arolygwyr yn eu darllen. Cânt eu cadw hyd nes y cyhoeddir adroddiad yr arolygiad ac am 12 mis ar ôl hynny, ac yna eu dileu; dim ond cyfansymiau a gedwir ar ôl hynny."
        case .privacyRights:
            "Mae gennych hawliau dros eich data, gan gynnwys gofyn beth sydd gennym a chwyno i Swyddfa’r Comisiynydd Gwybodaeth. Ni allwn ddweud pa atebion sy’n perthyn i chi, ac ni all eich llythyr eu hagor: dim ond eich cod ailddechrau, a ddangosir ar y sgrin wrth i chi ateb, sy’n gadael i chi barhau neu dynnu eich atebion yn ôl. Os byddwch yn ei golli, ni allwn ddod o hyd i’ch atebion i chi."
        case .privacySafeguarding:
            "Os bydd rhywbeth y byddwch yn ei ysgrifennu yn awgrymu y gallech chi neu rywun arall fod mewn perygl o niwed nawr, bydd arolygydd a enwir yn ei ddarllen ac efallai’n ei rannu â’r gwasanaeth priodol fel y gellir rhoi help."
        case .accessibilityTitle: "Datganiad hygyrchedd"
        case .accessibilityStandard:
            "Rydym am i gynifer o bobl â phosibl allu defnyddio’r holiadur hwn. Mae wedi’i gynllunio i fodloni Canllawiau Hygyrchedd Cynnwys y We (WCAG) fersiwn 2.2 ar lefel AA."
        case .accessibilityTesting:
            "Caiff pob tudalen ei phrofi’n awtomatig mewn porwr go iawn gydag axe-core yn erbyn WCAG 2.2 A ac AA, gan gynnwys tudalennau sy’n dangos gwallau, ar 320 a 1280 picsel o led. Caiff yr holiadur cyfan ei gwblhau yn Saesneg ac yn Gymraeg gan ddefnyddio bysellfwrdd yn unig ym mhob rhediad prawf, ac mae’n gweithio heb JavaScript."
        case .accessibilityUse:
            "Gallwch chwyddo hyd at 400% heb i’r testun fynd oddi ar y sgrin, llywio gyda bysellfwrdd neu adnabod llais, a defnyddio darllenydd sgrin. Mae pob tudalen ar gael yn Saesneg ac yn Gymraeg."
        case .accessibilityProblems:
            "Os byddwch yn dod o hyd i broblem, dywedwch wrth eich Swyddog Cyswllt Dioddefwyr neu Arolygiaeth Prawf EF. Os nad ydych yn fodlon â’n hymateb, cysylltwch â’r Gwasanaeth Cynghori a Chymorth Cydraddoldeb (EASS)."
        }
    }

    func text(_ language: Language) -> String { language == .cy ? cy : en }
}
