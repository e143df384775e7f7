"""Sentencer meetings (issue 7) in a real browser: an inspector records a meeting with the keyboard only and without
JavaScript, and every meeting page meets WCAG 2.2 AA, with and without errors."""
import datetime
import os
import subprocess
import uuid

import pytest

from accessibility import violations
from conftest import ROOT

PASSWORD = "purple elephant marmalade"


def psql(sql):
    return subprocess.run(
        ["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", os.environ["DATABASE_URL"], "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


@pytest.fixture
def assigned_inspector():
    """An inspector (made through the CLI) assigned to the demonstration inspection; returns (email, inspection id)."""
    subprocess.run([str(ROOT / ".build/debug/stakeholder-views"), "dev", "demo-links", "--count", "1"],
                   check=True, capture_output=True, text=True, cwd=ROOT)
    inspection = psql("SELECT id FROM inspection WHERE title = 'Demonstration inspection' ORDER BY id DESC LIMIT 1")
    email = f"sentencer-{uuid.uuid4().hex[:8]}@example.gov.uk"
    subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), "user", "create", "--role", "inspector", "--email", email, "--name", "Browser inspector"],
        input=PASSWORD + "\n", check=True, capture_output=True, text=True, cwd=ROOT,
    )
    psql(f"INSERT INTO inspection_inspector (inspection_id, user_id) SELECT {int(inspection)}, id FROM staff_user WHERE email = '{email}'")
    return email, int(inspection)


def keyboard_sign_in(page, base_url, email):
    page.goto(base_url + "/sign-in")
    page.focus("#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "/staff")


def choose(page, selector):
    page.focus(selector)
    page.keyboard.press("Space")


def test_an_inspector_records_a_meeting_with_the_keyboard_only_and_no_javascript(no_js_page, base_url, assigned_inspector):
    email, inspection = assigned_inspector
    page = no_js_page
    keyboard_sign_in(page, base_url, email)
    page.goto(f"{base_url}/inspections/{inspection}/sentencer-meetings")
    page.focus("text=Record a meeting")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{inspection}/sentencer-meetings/new")

    today = datetime.date.today()
    page.focus("#meeting_date-day")
    for value in (str(today.day), str(today.month), str(today.year)):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    choose(page, "#meeting_format-2")  # bench group
    choose(page, "#court_type")  # magistrates' court
    choose(page, "#week_plus_2-2")  # no
    choose(page, "#meeting_mode-3")  # video
    page.focus("#court_name")
    page.keyboard.type("Swansea Magistrates' Court")
    page.keyboard.press("Enter")
    page.wait_for_url("**/pages/attendees")

    page.focus("#attendees_lay_magistrate")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/pages/t1")

    choose(page, "#t1_rating-3")  # not very confident
    assert page.locator("#t1_views_divided").count() == 1
    page.focus("#t1_evidence")
    page.keyboard.type("Reports are late, said the bench chair.")
    page.focus("button[value=record]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sentencer-meetings/*")
    html = page.content()
    assert "Not very confident" in html
    assert "Reports are late, said the bench chair." in html
    assert "Swansea Magistrates" in html
    assert "Video" in html


def test_every_meeting_page_meets_wcag_22_aa_with_and_without_errors(page, base_url, assigned_inspector):
    email, inspection = assigned_inspector
    keyboard_sign_in(page, base_url, email)
    new = f"{base_url}/inspections/{inspection}/sentencer-meetings/new"
    page.goto(new)
    assert violations(page) == [], "new meeting"
    page.click("main button[value=continue]")
    assert page.locator(".govuk-error-summary").count() == 1
    assert violations(page) == [], "new meeting with errors"

    today = datetime.date.today()
    page.fill("#meeting_date-day", str(today.day))
    page.fill("#meeting_date-month", str(today.month))
    page.fill("#meeting_date-year", str(today.year))
    page.check("#meeting_format")
    page.check("#court_type-2")
    page.check("#week_plus_2")
    page.check("#meeting_mode")
    page.fill("#court_name", "Cardiff Crown Court")
    page.click("main button[value=continue]")
    page.wait_for_url("**/pages/attendees")
    meeting = page.url.split("/sentencer-meetings/")[1].split("/")[0]
    base = f"{base_url}/sentencer-meetings/{meeting}"
    page.fill("#attendees_crown_court_judge", "99")
    page.click("main button[value=continue]")
    assert page.locator(".govuk-error-summary").count() == 1
    assert violations(page) == [], "attendees with errors"

    for path in ("/pages/attendees", "/pages/t1", "/pages/t8", "", "/history"):
        page.goto(base + path)
        assert violations(page) == [], path or "record"
    page.goto(base + "/pages/t2")
    page.click("main button[value=continue]")
    assert page.locator(".govuk-error-summary").count() == 1
    assert violations(page) == [], "t2 with errors"
    page.goto(base)
    page.click("text=Mark as final")
    assert page.locator(".govuk-error-summary").count() == 1
    assert violations(page) == [], "record with errors"
    page.goto(f"{base_url}/inspections/{inspection}/sentencer-meetings")
    assert violations(page) == [], "list"
