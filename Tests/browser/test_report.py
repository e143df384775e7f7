"""The stakeholder-views report (issue 9) in a real browser: WCAG 2.2 AA on the report, review and safeguarding pages,
charts with a text alternative, and the print stylesheet."""
import subprocess

from accessibility import has_horizontal_scroll, violations
from conftest import ROOT
from test_staff_accounts import sign_in


def seed_demo():
    """Runs `stakeholder-views dev seed-demo` against the server's database and returns the report's path."""
    out = subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), "dev", "seed-demo"], check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    url = next(line.strip() for line in out.splitlines() if "/inspections/" in line)
    return url[url.index("/inspections/"):]


def test_the_report_and_its_review_pages_meet_wcag_22_aa_and_print_cleanly(page, base_url, staff_user):
    path = seed_demo()
    sign_in(page, base_url, staff_user("admin"))
    page.wait_for_url(base_url + "/staff")
    page.goto(base_url + path)
    assert page.locator("h1").inner_text().startswith("Stakeholder views")
    assert violations(page) == []
    # Every chart is an image with a title, followed by its data table.
    charts = page.locator("svg.report-chart")
    assert charts.count() >= 2
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("role") == "img"
        assert charts.nth(i).locator("title").count() == 1
    for sub in ("/free-text", "/safeguarding"):
        page.goto(base_url + path + sub)
        assert violations(page) == [], sub
    # Review one answer without JavaScript's help: preview the redaction, then save it, then open it to correct it.
    page.goto(base_url + path + "/free-text")
    first = page.locator("form.report-review").first
    assert first.count() == 1, "the demo data has free-text answers to review"
    first.locator("textarea").fill("the")
    first.get_by_role("button", name="Preview the redaction of answer 1").click()
    assert page.get_by_role("heading", name="Preview").is_visible()
    assert violations(page) == [], "preview"
    page.get_by_role("button", name="Mark reviewed").click()
    page.goto(base_url + path + "/free-text/reviewed")
    assert "Revision 1" in page.locator("main").inner_text()
    assert violations(page) == [], "reviewed list"
    page.get_by_role("link", name="Correct this review").first.click()
    assert page.locator("h1").inner_text() == "Correct a reviewed answer"
    assert page.locator("textarea").input_value() == "the"
    assert violations(page) == [], "correction"
    # Themes: the list with its add form, an error on the field, then a theme added and offered on the review form.
    page.get_by_role("link", name="Themes").click()
    assert page.locator("h1").inner_text() == "Themes for victims' own words"
    assert page.get_by_role("row").count() >= 9, "the default themes are seeded"
    assert violations(page) == [], "themes"
    page.get_by_role("button", name="Add theme").click()
    assert page.get_by_role("link", name="Enter a name for the theme").is_visible()
    assert page.title().startswith("Error: ")
    assert violations(page) == [], "themes with an error"
    page.get_by_label("Name", exact=True).fill("Court hearings")
    page.get_by_label("Phrases that suggest it (optional, one a line)").fill("parole hearing")
    page.get_by_role("button", name="Add theme").click()
    assert page.get_by_role("rowheader", name="Court hearings").is_visible()
    page.get_by_role("link", name="Change Court hearings").click()
    assert violations(page) == [], "change a theme"
    page.goto(base_url + path + "/free-text")
    assert page.get_by_role("group", name="Themes").first.is_visible()
    assert violations(page) == [], "review with themes"
    # Print: no header, navigation or download links; each section starts a page.
    page.goto(base_url + path)
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header").is_visible()
    assert not page.locator(".govuk-staff-nav").first.is_visible()
    assert page.locator("#sentencers").evaluate("e => getComputedStyle(e).breakBefore") == "page"


def test_the_report_and_inspection_tables_fit_1280_px_and_reflow_at_320_px_without_losing_columns(browser, base_url, staff_user):
    """WCAG 1.4.10: at 320 px nothing scrolls the page sideways; every wide table scrolls inside its own labelled,
    keyboard-focusable region, so no column is cut off; at 1280 px the same."""
    path = seed_demo()
    inspection = path.removesuffix("/report")
    email = staff_user("admin")
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
        page = context.new_page()
        sign_in(page, base_url, email)
        page.wait_for_url(base_url + "/staff")
        for target in (path, inspection):
            page.goto(base_url + target)
            label = f"{target} at {width} px"
            assert not has_horizontal_scroll(page), f"{label}: the page scrolls sideways"
            tables = page.locator("main table")
            assert tables.count() >= 1, label
            regions = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
                const r = t.closest('.app-table-wrapper');
                return r && { role: r.getAttribute('role'), label: r.getAttribute('aria-label'), tabindex: r.getAttribute('tabindex'),
                              overflow: getComputedStyle(r).overflowX, fits: r.scrollWidth <= r.clientWidth + 1,
                              whole: r.scrollWidth >= t.getBoundingClientRect().width - 1 };
            })""")
            for region in regions:
                assert region, f"{label}: a table outside a scrolling region"
                assert region["role"] == "region" and region["label"] and region["tabindex"] == "0", f"{label}: {region}"
                # Either it fits, or it scrolls inside its box with every column within reach.
                assert region["fits"] or (region["overflow"] == "auto" and region["whole"]), f"{label}: {region}"
            assert violations(page) == [], label
        context.close()
