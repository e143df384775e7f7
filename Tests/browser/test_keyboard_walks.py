"""A day's work with the keyboard only and without JavaScript (issue 23 item 7): an inspector signs in, opens the task
on their home page, reviews a free-text answer and publishes a report; a VLO issues links, has their letters to
print, finds one of their links and revokes it. Every step moves focus with Tab and acts with Enter or Space: no
mouse, no scripting of the page."""
import uuid

from test_publication import ready_inspection
from test_sentencer_meetings import keyboard_sign_in, psql
from test_staff_pages import cli, user


def tab_to(page, matches, limit=200):
    """Presses Tab until the focused element satisfies the JavaScript predicate `matches` (given `e`); fails if it never does."""
    page.wait_for_load_state()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({matches}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def follow(page, key="Enter"):
    """Presses `key` on the focused element and waits for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def link_named(text):
    return f"e.tagName === 'A' && e.textContent.replace(/\\s+/g, ' ').trim().startsWith({text!r})"


def test_an_inspectors_day_with_the_keyboard_only(no_js_page, base_url):
    page = no_js_page
    cli("dev", "demo-links", "--count", "1")  # the demonstration inspection, which ready_inspection copies
    out = cli("dev", "seed-demo")
    demo = int(out.split("/inspections/")[1].split("/")[0])
    ready = ready_inspection()
    email = user("inspector")
    psql(f"INSERT INTO inspection_inspector (inspection_id, user_id, is_lead) SELECT {demo}, id, false FROM staff_user WHERE email = '{email}'")
    psql(f"INSERT INTO inspection_inspector (inspection_id, user_id, is_lead) SELECT {ready}, id, true FROM staff_user WHERE email = '{email}'")
    keyboard_sign_in(page, base_url, email)
    # The home page's task: the demo inspection has free text waiting for review.
    tab_to(page, "e.tagName === 'A' && e.getAttribute('href').endsWith('/report/free-text')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{demo}/report/free-text")
    # Redact a word of the first answer and mark it reviewed.
    tab_to(page, "e.id === 'redact-1'")
    page.keyboard.type("the")
    tab_to(page, "e.tagName === 'BUTTON' && e.value === 'save'")
    follow(page)
    assert psql(f"SELECT count(*) FROM victim_free_text_review f JOIN victim_response r ON r.id = f.response_id WHERE r.inspection_id = {demo}") != "0"
    # Publish the inspection they lead: from the staff home, through the inspection's page.
    page.goto(base_url + "/staff")
    tab_to(page, link_named("Browser publication"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{ready}")
    tab_to(page, f"e.tagName === 'A' && e.getAttribute('href') === '/inspections/{ready}/publish'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{ready}/publish")
    tab_to(page, "e.id === 'confirm'")
    page.keyboard.press("Space")
    tab_to(page, "e.tagName === 'BUTTON' && e.classList.contains('govuk-button--warning')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{ready}/report")
    assert "these figures are frozen" in page.content()


def test_a_vlos_day_with_the_keyboard_only(no_js_page, base_url):
    page = no_js_page
    cli("dev", "demo-links", "--count", "1")
    email = user("vlo", provider="DEMO-NPS")
    keyboard_sign_in(page, base_url, email)
    reference = f"KB-{uuid.uuid4().hex[:6].upper()}"
    tab_to(page, link_named("Questionnaire links"))
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "/links")
    tab_to(page, link_named("Demonstration inspection"))
    follow(page)
    links_page = page.url
    # Issue two links with a reference, in English: the letters to print come back.
    tab_to(page, "e.id === 'count'")
    page.keyboard.type("2")
    tab_to(page, "e.id === 'reference'")
    page.keyboard.type(reference)
    tab_to(page, "e.id === 'language-en'")
    page.keyboard.press("Space")
    tab_to(page, "e.tagName === 'BUTTON' && e.textContent.includes('Issue links')")
    follow(page)
    assert page.locator(".sv-letter").count() == 2
    page.emulate_media(media="print")
    assert page.locator(".govuk-header").is_hidden()
    page.emulate_media(media="screen")
    # Find one of them in the list by its reference and revoke it.
    page.goto(links_page)
    tab_to(page, f"e.tagName === 'BUTTON' && e.textContent.includes('Revoke') && !e.textContent.includes('reissue') "
                 f"&& e.closest('tr') && e.closest('tr').textContent.includes({reference!r})")
    follow(page)
    revoked = psql(f"SELECT count(*) FROM invitation WHERE reference = '{reference}' AND status = 'revoked'")
    assert revoked == "1", page.content()[:2000]
