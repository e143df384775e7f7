"""Programmes (issue 22) in a real browser: WCAG 2.2 AA on every programme page at 1280 and 320 px, with and without
errors, wide tables in labelled scrolling regions rather than the page, and an administrator's work done with the
keyboard only and no JavaScript."""
import subprocess
import uuid

from accessibility import has_horizontal_scroll, violations
from conftest import ROOT
from test_staff_accounts import sign_in


def seed_programme():
    """Runs `stakeholder-views dev seed-demo --programme` against the server's database; returns the programme's path."""
    out = subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), "dev", "seed-demo", "--programme"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    url = next(line.strip() for line in out.splitlines() if "/programmes/" in line)
    path = url[url.index("/programmes/"):]
    return path.removesuffix("/report")


def check(page, label):
    assert violations(page) == [], label
    assert not has_horizontal_scroll(page), f"{label}: the page scrolls sideways"


def test_every_programme_page_meets_wcag_22_aa_at_1280_and_320_px(browser, base_url, staff_user):
    programme = seed_programme()
    email = staff_user("admin")
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
        page = context.new_page()
        sign_in(page, base_url, email)
        page.wait_for_url(base_url + "/staff")
        for path in ("/programmes", programme, programme + "/report", "/programmes/new", programme + "/edit", programme + "/publish"):
            page.goto(base_url + path)
            check(page, f"{path} at {width} px")
        # The report: a chart per question, each an image with a title and followed by its table.
        page.goto(base_url + programme + "/report")
        charts = page.locator("svg.report-chart")
        assert charts.count() >= 10
        assert charts.first.get_attribute("role") == "img"
        assert page.get_by_role("region", name="Victims: % positive by question across the programme").count() == 1
        # The demo's two small inspections hide figures, and the report says how many it left out.
        assert page.get_by_role("columnheader", name="Inspections left out (figure hidden in their report)").is_visible()
        # Errors: the form, the publish page with no name.
        page.goto(base_url + "/programmes/new")
        page.click("main button[type=submit]")
        assert page.title().startswith("Error: ")
        check(page, f"new programme with errors at {width} px")
        page.goto(base_url + programme + "/publish")
        page.click("main button[type=submit]")
        assert page.title().startswith("Error: ")
        check(page, f"publish with an error at {width} px")
        context.close()


def test_an_administrator_creates_a_programme_with_the_keyboard_only_and_no_javascript(no_js_page, base_url, staff_user):
    seed_programme()
    page = no_js_page
    sign_in(page, base_url, staff_user("admin"))
    page.wait_for_url(base_url + "/staff")
    page.goto(base_url + "/programmes/new")
    page.focus("#name")
    name = f"Keyboard programme {uuid.uuid4().hex[:6]}"
    page.keyboard.type(name)
    for value in ("1", "1", "2020", "31", "12", "2035"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/programmes/" in url and not url.endswith("/new"))
    assert page.locator("h1").inner_text() == name
    # No inspection is free to add (the demo's are in the demo programme), and the page says so.
    assert "There is no inspection outside a programme" in page.content() or page.locator("#inspection").count() == 1
    page.get_by_role("link", name="Programme report", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/report")
    assert "No inspection in this programme has a published report yet" in page.content()
