"""A victim completes the questionnaire in a real browser, by keyboard only, in English and in Welsh; the resume code
its pages show carries saved answers to another browser, and the letter alone opens none of them.

axe (WCAG 2.2 A and AA) runs on every page visited, including pages showing errors; screenshots at 320 px and
1280 px wide are kept in .build/browser-artifacts. The start pages a link shows once it is in use ("already been
started", "already sent") are checked by axe at both widths, in English and in Welsh.
"""
import re

from accessibility import has_horizontal_scroll, violations

RESUME_CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
STARTED = {"en": "This questionnaire has already been started", "cy": "Mae’r holiadur hwn eisoes wedi cael ei ddechrau"}
SENT = {"en": "You have already sent your answers", "cy": "Rydych eisoes wedi anfon eich atebion"}


def check_page(page, artifacts, name, axe_at_each_width=False):
    """axe at 1024 px (or, with `axe_at_each_width`, at 320 and at 1280 px); no sideways scrolling at 320 or 1280 px;
    screenshots at both."""
    if not axe_at_each_width:
        found = violations(page)
        assert found == [], f"{name}: {found}"
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        if axe_at_each_width:
            found = violations(page)
            assert found == [], f"{name} at {width}px: {found}"
        assert not has_horizontal_scroll(page), f"{name} scrolls sideways at {width}px"
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})


def resume_code(page):
    """The resume code the page shows (asserting there is exactly one, in the expected form)."""
    shown = page.locator("strong[data-resume-code]")
    assert shown.count() == 1, f"{page.url} shows {shown.count()} resume codes"
    code = shown.inner_text().strip()
    assert RESUME_CODE.match(code), f"{page.url}: {code!r} is not a resume code"
    return code


def new_page(browser, width=1024):
    """A page in a browser context of its own: no cookie from any other test's journey."""
    context = browser.new_context(viewport={"width": width, "height": 768})
    return context, context.new_page()


def tab_to(page, predicate, limit=80):
    """Presses Tab until the focused element satisfies `predicate` (a JS function body on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"never reached an element where {predicate}")


def answer_by_keyboard(page, artifacts, language, prefix):
    """Answers every question page with the keyboard: first radio option, typed text; then check and send. Every
    page shows the same resume code, which is returned."""
    visited = 0
    code = None
    while "/questionnaire/check" not in page.url:
        visited += 1
        assert visited < 40, "the questionnaire never reached the check page"
        check_page(page, artifacts, f"{prefix}-{visited:02d}")
        code = code or resume_code(page)
        assert resume_code(page) == code, f"the resume code changed on {page.url}"
        radios = page.locator("input.govuk-radios__input")
        textareas = page.locator("textarea")
        if radios.count():
            name = radios.first.get_attribute("name")
            tab_to(page, f"el.name === '{name}'")
            page.keyboard.press("Space")
        elif textareas.count():
            tab_to(page, "el.tagName === 'TEXTAREA'")
            page.keyboard.type("Diolch — roedd y swyddog yn garedig 🙂" if language == "cy" else "The officer was kind 🙂")
        tab_to(page, "el.tagName === 'BUTTON' && el.value === 'continue'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    check_page(page, artifacts, f"{prefix}-check")
    assert resume_code(page) == code, "the check page shows another resume code"
    tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/questionnaire/done")
    check_page(page, artifacts, f"{prefix}-done")
    assert resume_code(page) == code, "the confirmation shows another resume code"
    return code


def check_sent_link(browser, base_url, artifacts, token, code, language):
    """The link of sent answers, on another browser: "already sent", with no answers and no resume code on it; a wrong
    resume code is refused; the right one leads to the withdrawal question (nothing is withdrawn here)."""
    context, page = new_page(browser)
    try:
        page.goto(f"{base_url}/q/{token}?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").inner_text() == SENT[language]
        assert page.locator("strong[data-resume-code]").count() == 0
        assert page.locator("button.govuk-button--start").count() == 0
        check_page(page, artifacts, f"{language}-already-sent", axe_at_each_width=True)
        page.fill("#resume_code", "AAAA-BBBB-CCCC" if code != "AAAA-BBBB-CCCC" else "CCCC-BBBB-AAAA")
        page.click("form:has(#resume_code) button[type=submit]")
        assert page.locator(".govuk-error-summary").is_visible()
        assert page.locator("h1").inner_text() == SENT[language]
        check_page(page, artifacts, f"{language}-already-sent-error", axe_at_each_width=True)
        page.fill("#resume_code", code)
        page.click("form:has(#resume_code) button[type=submit]")
        assert page.url.endswith("/questionnaire/withdraw")
        assert page.locator("form[action='/questionnaire/withdraw']").count() == 1
    finally:
        context.close()


def test_a_victim_completes_the_questionnaire_in_english_with_the_keyboard(page, browser, base_url, issue_link, artifacts):
    link = issue_link("en")
    page.goto(f"{base_url}/q/{link['token']}")
    assert page.locator("html").get_attribute("lang") == "en"
    # The start page says that answers are not read straight away and where urgent help is.
    warning = page.locator(".govuk-warning-text").inner_text()
    assert "Your answers are not read straight away" in warning and "not the way to get urgent help" in warning
    assert "call 999" in page.locator("main").inner_text()
    assert page.locator("strong[data-resume-code]").count() == 0, "a resume code before the journey has started"
    check_page(page, artifacts, "en-start")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    code = answer_by_keyboard(page, artifacts, "en", "en")
    assert page.locator("h1").inner_text() == "Answers sent"
    check_sent_link(browser, base_url, artifacts, link["token"], code, "en")


def test_a_victim_completes_the_questionnaire_in_welsh_with_the_keyboard(page, browser, base_url, issue_link, artifacts):
    link = issue_link("cy")
    page.goto(f"{base_url}/q/{link['token']}")
    assert page.locator("html").get_attribute("lang") == "cy"
    warning = page.locator(".govuk-warning-text").inner_text()
    assert "Nid yw eich atebion yn cael eu darllen ar unwaith" in warning
    assert "ffoniwch 999" in page.locator("main").inner_text()
    check_page(page, artifacts, "cy-start")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "cy"
    code = answer_by_keyboard(page, artifacts, "cy", "cy")
    assert page.locator("h1").inner_text() == "Atebion wedi’u hanfon"
    check_sent_link(browser, base_url, artifacts, link["token"], code, "cy")


def choose(page, index):
    """Checks the radio option at `index` on the current question page and saves it; returns its value."""
    option = page.locator("input.govuk-radios__input").nth(index)
    value = option.get_attribute("value")
    option.check()
    with page.expect_navigation():
        page.click("button[value=continue]")
    return value


def test_the_resume_code_carries_saved_answers_to_another_browser_and_the_letter_alone_opens_none(browser, base_url, issue_link, artifacts):
    link = issue_link("both")
    first_context, first = new_page(browser)
    other_context, other = new_page(browser)
    third_context, third = new_page(browser)
    try:
        # The victim starts and saves two pages (not the first options, so that nothing is checked by chance).
        first.goto(f"{base_url}/q/{link['token']}")
        first.click("button.govuk-button--start")
        page_one = first.url
        code = resume_code(first)
        saved = [choose(first, 3), choose(first, 1)]
        page_three = first.url
        assert resume_code(first) == code

        # Another browser with only the link: "already been started", no answers, no resume code, no question.
        for language in ("en", "cy"):
            other.goto(f"{base_url}/q/{link['token']}?lang={language}")
            assert other.locator("h1").inner_text() == STARTED[language]
            text = other.locator("main").inner_text()
            assert other.locator("input.govuk-radios__input").count() == 0
            assert other.locator("strong[data-resume-code]").count() == 0 and code not in other.content()
            assert "Start again" in text or "Dechrau eto" in text
            check_page(other, artifacts, f"{language}-already-started", axe_at_each_width=True)
        # Its browser has no session: the question pages are closed to it.
        other.goto(page_one)
        assert other.locator("input.govuk-radios__input:checked").count() == 0
        assert other.locator("strong[data-resume-code]").count() == 0

        # A wrong resume code is refused, on a page that still meets WCAG.
        other.goto(f"{base_url}/q/{link['token']}?lang=en")
        other.fill("#resume_code", "AAAA-BBBB-CCCC" if code != "AAAA-BBBB-CCCC" else "CCCC-BBBB-AAAA")
        other.click("form:has(#resume_code) button[type=submit]")
        assert other.title().startswith("There is a problem")
        assert other.locator(".govuk-error-summary").is_visible()
        check_page(other, artifacts, "en-already-started-error", axe_at_each_width=True)
        other.locator(".govuk-error-summary__list a").first.click()
        assert other.evaluate("() => document.activeElement.id") == "resume_code"

        # The resume code carries on where the victim left off, with the saved answers.
        other.fill("#resume_code", code)
        other.click("form:has(#resume_code) button[type=submit]")
        assert other.url == page_three, f"resumed at {other.url}, not at the first unanswered page"
        assert resume_code(other) == code
        other.goto(page_one)
        assert other.locator("input.govuk-radios__input:checked").get_attribute("value") == saved[0]

        # "Start again" on a third browser: a new resume code and none of the saved answers.
        third.goto(f"{base_url}/q/{link['token']}")
        third.click("button:has-text('Start again')")
        assert "/questionnaire/page/" in third.url
        assert third.locator("input.govuk-radios__input:checked").count() == 0
        assert resume_code(third) != code
        third.goto(page_one)
        assert third.locator("input.govuk-radios__input:checked").count() == 0
        # The saved answers are still there for the victim's code.
        first.goto(page_one)
        assert first.locator("input.govuk-radios__input:checked").get_attribute("value") == saved[0]
    finally:
        for context in (first_context, other_context, third_context):
            context.close()


def test_error_pages_meet_wcag_and_the_summary_moves_focus_to_the_field(page, base_url, issue_link, artifacts):
    link = issue_link("en")
    page.goto(f"{base_url}/q/{link['token']}")
    page.click("button.govuk-button--start")
    resume_code(page)
    # Post a code that is not an option by editing the first radio's value, as a tampered form would.
    page.evaluate("() => { const r = document.querySelector('input.govuk-radios__input'); r.value = 'not-an-option'; r.checked = true; }")
    page.click("button[value=continue]")
    assert page.title().startswith("Error: ")
    check_page(page, artifacts, "en-error")
    page.locator(".govuk-error-summary__list a").first.click()
    focused = page.evaluate("() => document.activeElement.id")
    assert focused, "following the error summary link should focus the field"


def test_access_code_page_with_an_error_meets_wcag(page, base_url, artifacts):
    page.goto(f"{base_url}/start")
    check_page(page, artifacts, "code")
    page.fill("#code", "not a code")
    page.click("button[type=submit]")
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, artifacts, "code-error")


def test_the_questionnaire_works_without_javascript_and_exit_leaves_the_site(no_js_page, base_url, issue_link):
    link = issue_link("both")
    no_js_page.goto(f"{base_url}/q/{link['token']}")
    no_js_page.click("button.govuk-button--start")
    assert re.search(r"/questionnaire/page/", no_js_page.url)
    code = resume_code(no_js_page)
    no_js_page.locator("input.govuk-radios__input").first.check()
    no_js_page.click("button[value=switch-language]")
    assert no_js_page.locator("html").get_attribute("lang") == "cy"
    assert no_js_page.locator("input.govuk-radios__input").first.is_checked()
    assert resume_code(no_js_page) == code, "switching language changed the resume code"
    exit_link = no_js_page.locator("a.govuk-exit-this-page__button")
    assert exit_link.get_attribute("href") == "/exit"
    response = no_js_page.request.get(f"{base_url}/exit", max_redirects=0)
    assert response.status == 303
    assert response.headers["location"].startswith("https://www.bbc.co.uk/")
