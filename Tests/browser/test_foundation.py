"""The plain pages of the foundation, in a real browser."""
from accessibility import has_horizontal_scroll, violations


def test_home_page_meets_wcag_22_aa(page, base_url):
    page.goto(base_url + "/")
    assert page.title().startswith("Stakeholder Views")
    assert violations(page) == []


def test_not_found_page_meets_wcag_22_aa(page, base_url):
    response = page.goto(base_url + "/no-such-page")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert violations(page) == []


def test_home_page_fits_a_320px_screen_without_sideways_scrolling(phone_page, base_url):
    phone_page.goto(base_url + "/")
    assert not has_horizontal_scroll(phone_page)


def test_stylesheet_loads_under_the_content_security_policy(page, base_url):
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(base_url + "/")
    # The header is styled by app.css: a loaded stylesheet gives it a non-transparent background.
    background = page.evaluate("() => getComputedStyle(document.querySelector('.govuk-header')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert blocked == []


def test_skip_link_is_first_and_moves_focus_to_main_content(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "govuk-skip-link" in focused
    page.keyboard.press("Enter")
    page.wait_for_url("**/#main-content", timeout=5000)
    assert page.url.endswith("#main-content")


def test_privacy_notice_and_accessibility_statement_meet_wcag_in_both_languages(page, base_url):
    for path in ("/privacy", "/privacy?lang=cy", "/accessibility", "/accessibility?lang=cy"):
        page.goto(base_url + path)
        assert violations(page) == [], path
