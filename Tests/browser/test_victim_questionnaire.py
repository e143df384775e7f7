"""A victim completes the questionnaire in a real browser, by keyboard only, in English and in Welsh.

axe (WCAG 2.2 A and AA) runs on every page visited, including pages showing errors; screenshots at 320 px and
1280 px wide are kept in .build/browser-artifacts.
"""
import re

from accessibility import has_horizontal_scroll, violations


def check_page(page, artifacts, name):
    found = violations(page)
    assert found == [], f"{name}: {found}"
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert not has_horizontal_scroll(page), f"{name} scrolls sideways at {width}px"
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})


def tab_to(page, predicate, limit=80):
    """Presses Tab until the focused element satisfies `predicate` (a JS function body on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"never reached an element where {predicate}")


def answer_by_keyboard(page, artifacts, language, prefix):
    """Answers every question page with the keyboard: first radio option, typed text; then check and send."""
    visited = 0
    while "/questionnaire/check" not in page.url:
        visited += 1
        assert visited < 40, "the questionnaire never reached the check page"
        check_page(page, artifacts, f"{prefix}-{visited:02d}")
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
    tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/questionnaire/done")
    check_page(page, artifacts, f"{prefix}-done")


def test_a_victim_completes_the_questionnaire_in_english_with_the_keyboard(page, base_url, issue_link, artifacts):
    link = issue_link("en")
    page.goto(f"{base_url}/q/{link['token']}")
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, artifacts, "en-start")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    answer_by_keyboard(page, artifacts, "en", "en")
    assert page.locator("h1").inner_text() == "Answers sent"


def test_a_victim_completes_the_questionnaire_in_welsh_with_the_keyboard(page, base_url, issue_link, artifacts):
    link = issue_link("cy")
    page.goto(f"{base_url}/q/{link['token']}")
    assert page.locator("html").get_attribute("lang") == "cy"
    check_page(page, artifacts, "cy-start")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "cy"
    answer_by_keyboard(page, artifacts, "cy", "cy")
    assert page.locator("h1").inner_text() == "Atebion wedi’u hanfon"


def test_error_pages_meet_wcag_and_the_summary_moves_focus_to_the_field(page, base_url, issue_link, artifacts):
    link = issue_link("en")
    page.goto(f"{base_url}/q/{link['token']}")
    page.click("button.govuk-button--start")
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
    no_js_page.locator("input.govuk-radios__input").first.check()
    no_js_page.click("button[value=switch-language]")
    assert no_js_page.locator("html").get_attribute("lang") == "cy"
    assert no_js_page.locator("input.govuk-radios__input").first.is_checked()
    exit_link = no_js_page.locator("a.govuk-exit-this-page__button")
    assert exit_link.get_attribute("href") == "/exit"
    response = no_js_page.request.get(f"{base_url}/exit", max_redirects=0)
    assert response.status == 303
    assert response.headers["location"].startswith("https://www.bbc.co.uk/")
