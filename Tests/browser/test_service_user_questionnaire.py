"""A person on probation answers the online survey (issue 21) in a real browser, by keyboard only, in English and in
Welsh, from the code in a text message (/p/CODE): the victim journey's engine with the service-user questionnaire.

axe (WCAG 2.2 A and AA) runs on every page visited; each page is checked for sideways scrolling and kept as a
screenshot at 320 and 1280 px. The journey also works without JavaScript, and the code is accepted typed in lower case
with a space."""
import subprocess

from conftest import ROOT
from test_victim_questionnaire import answer_by_keyboard, check_page, tab_to

TITLE = {"en": "Tell us what you think of probation", "cy": "Dywedwch wrthym beth yw eich barn am y gwasanaeth prawf"}
SENT = {"en": "Answers sent", "cy": "Atebion wedi’u hanfon"}


def issue_code(language="en"):
    """A fresh code for the demonstration inspection, as a coordinator's batch issues it (`ABCDE-FGHJK`)."""
    out = subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), "dev", "demo-links", "--survey-codes", "--count", "1", "--language", language],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.split()
    return out[0]


def complete_by_keyboard(page, base_url, artifacts, language):
    code = issue_code(language)
    page.goto(f"{base_url}/p/{code}")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == TITLE[language]
    assert "Victim" not in page.locator("main").inner_text()
    check_page(page, artifacts, f"su-{language}-start", axe_at_each_width=True)
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == language
    answer_by_keyboard(page, artifacts, language, f"su-{language}")
    assert page.locator("h1").inner_text() == SENT[language]
    # The code is spent: opened again, it says the answers were sent.
    page.goto(f"{base_url}/p/{code}?lang={language}")
    assert page.locator("button.govuk-button--start").count() == 0
    check_page(page, artifacts, f"su-{language}-already-sent", axe_at_each_width=True)


def test_a_person_on_probation_completes_the_survey_in_english_with_the_keyboard(page, base_url, artifacts):
    complete_by_keyboard(page, base_url, artifacts, "en")


def test_a_person_on_probation_completes_the_survey_in_welsh_with_the_keyboard(page, base_url, artifacts):
    complete_by_keyboard(page, base_url, artifacts, "cy")


def test_the_survey_works_without_javascript_from_a_code_typed_in_lower_case(no_js_page, base_url):
    code = issue_code("both")
    no_js_page.goto(f"{base_url}/p/{code.lower().replace('-', ' ')}")
    assert no_js_page.locator("h1").inner_text() == TITLE["en"]
    no_js_page.click("button.govuk-button--start")
    assert "/questionnaire/page/" in no_js_page.url
    no_js_page.locator("input.govuk-radios__input").first.check()
    no_js_page.click("button[value=continue]")
    assert "/questionnaire/page/listened_to" in no_js_page.url
    assert no_js_page.locator("a.govuk-exit-this-page__button").get_attribute("href") == "/exit"
