"""VLO and inspector pages in a real browser: WCAG 2.2 AA on the link pages, the letters and the inspection pages,
with and without errors, and letters that print one per page."""
import subprocess
import uuid

from accessibility import has_horizontal_scroll, violations
from conftest import PASSWORD, ROOT
from test_staff_accounts import sign_in


def cli(*args, stdin=None):
    return subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), *args], input=stdin, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout


def demo_vlo():
    cli("dev", "demo-links", "--count", "1")  # makes the demonstration inspection, provider and organisation
    email = f"vlo-{uuid.uuid4().hex[:8]}@example.gov.uk"
    cli("user", "create", "--role", "vlo", "--provider", "DEMO-NPS", "--email", email, "--name", "Browser VLO", stdin=PASSWORD + "\n")
    return email


def test_a_vlo_issues_links_and_every_page_meets_wcag(page, base_url):
    sign_in(page, base_url, demo_vlo())
    page.goto(base_url + "/links")
    assert violations(page) == []
    page.click("table a")
    assert violations(page) == []
    page.fill("#count", "0")
    page.click("button:has-text('Issue links')")
    assert page.title().startswith("Error: ")
    assert violations(page) == []
    page.fill("#count", "3")
    page.check("#language-both")
    page.click("button:has-text('Issue links')")
    assert page.locator(".sv-letter").count() == 3
    assert violations(page) == []
    page.set_viewport_size({"width": 320, "height": 800})
    assert not has_horizontal_scroll(page)
    page.emulate_media(media="print")
    breaks = page.evaluate("() => [...document.querySelectorAll('.sv-letter')].map(e => getComputedStyle(e).breakAfter)")
    assert breaks[:-1] == ["page", "page"]
    assert page.locator(".govuk-header").is_hidden()


def test_inspection_pages_meet_wcag(page, base_url):
    cli("dev", "demo-links", "--count", "1")
    email = f"admin-{uuid.uuid4().hex[:8]}@example.gov.uk"
    cli("user", "create", "--role", "admin", "--email", email, "--name", "Browser Admin", stdin=PASSWORD + "\n")
    sign_in(page, base_url, email)
    page.goto(base_url + "/inspections")
    assert violations(page) == []
    page.click("table a")
    assert violations(page) == []
    page.goto(base_url + "/inspections/new")
    page.click("button:has-text('Add inspection')")
    assert page.title().startswith("Error: ")
    assert violations(page) == []
