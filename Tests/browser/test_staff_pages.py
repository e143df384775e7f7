"""Every staff page (issue 23 item 7) in a real browser: for an administrator, an assigned inspector, a VLO and a
provider survey coordinator (issue 21), every
page reachable by following links from the staff home is WCAG 2.2 AA clean (axe-core) at 1280 and at 320 px, and
none scrolls sideways at 320 px. The pages are found by crawling, so a new page is checked without a new test."""
import re
import subprocess
import uuid
from urllib.parse import urljoin, urlparse

from accessibility import has_horizontal_scroll, violations
from conftest import PASSWORD, ROOT
from test_sentencer_meetings import psql
from test_staff_accounts import sign_in

# Links not to follow: downloads, signing out, the victims' side, and pages that act on a GET-free form's target.
SKIP = re.compile(r"(\.csv|\.json|/sign-out|/q/|/p/|/questionnaire|/letters|/problems\.csv)(\?|$)")


def cli(*args, stdin=None):
    return subprocess.run(
        [str(ROOT / ".build/debug/stakeholder-views"), *args], input=stdin, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout


def user(role, provider=None):
    email = f"{role}-crawl-{uuid.uuid4().hex[:8]}@example.gov.uk"
    extra = ["--provider", provider] if provider else []
    cli("user", "create", "--role", role, *extra, "--email", email, "--name", f"Crawl {role}", stdin=PASSWORD + "\n")
    return email


def pattern(path):
    """The page's kind: its path with numbers and long tokens replaced, so each kind is checked once."""
    return re.sub(r"/[0-9a-f-]{16,}|/\d+", "/N", urlparse(path).path)


def crawl(browser, base_url, email, width, limit=60):
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    sign_in(page, base_url, email)
    page.wait_for_url(base_url + "/staff")
    seen, queue, checked, problems = set(), ["/staff"], [], []
    while queue and len(checked) < limit:
        path = queue.pop(0)
        if pattern(path) in seen:
            continue
        seen.add(pattern(path))
        response = page.goto(base_url + path)
        if response is None or response.status >= 400 or not page.url.startswith(base_url):
            problems.append(f"{path}: {response.status if response else 'no response'}")
            continue
        checked.append(path)
        found = violations(page)
        if found:
            problems.append(f"{path} at {width} px: {found}")
        if width <= 320 and has_horizontal_scroll(page):
            problems.append(f"{path} at {width} px scrolls sideways")
        for href in page.eval_on_selector_all("main a[href], nav a[href]", "links => links.map(a => a.getAttribute('href'))"):
            url = urljoin(base_url + path, href)
            if not url.startswith(base_url) or SKIP.search(url) or "#" in href:
                continue
            target = url[len(base_url):]
            if pattern(target) not in seen:
                queue.append(target)
    context.close()
    return checked, problems


def test_every_staff_page_of_every_role_meets_wcag_22_aa_at_1280_and_320_px(browser, base_url):
    out = cli("dev", "seed-demo", "--programme")
    inspection = int(re.search(r"/inspections/(\d+)/report", out).group(1))
    admin = user("admin")
    inspector = user("inspector")
    psql(f"INSERT INTO inspection_inspector (inspection_id, user_id, is_lead) SELECT {inspection}, id, false FROM staff_user WHERE email = '{inspector}'")
    vlo = user("vlo", provider="DEMO-NPS")
    coordinator = user("survey_coordinator", provider="DEMO-NPS")
    roles = (("admin", admin, 12), ("inspector", inspector, 8), ("vlo", vlo, 3), ("survey_coordinator", coordinator, 3))
    for role, email, least in roles:
        for width in (1280, 320):
            checked, problems = crawl(browser, base_url, email, width)
            assert problems == [], f"{role}: {problems}"
            assert len(checked) >= least, f"{role} at {width} px reached only {checked}"


def test_a_vlos_links_pages_reached_by_forms_meet_wcag_22_aa_at_1280_and_320_px(browser, base_url):
    """The pages the crawl cannot reach by links (issue 20 item 5): the links page paged, filtered and with each kind of
    error, and the reminder letters a form posts to. The service sends no script, so this is also how they work
    without JavaScript (axe itself needs it to run)."""
    cli("dev", "demo-links", "--count", "1")  # the demonstration inspection and its provider
    vlo = user("vlo", provider="DEMO-NPS")
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, base_url, vlo)
        page.wait_for_url(base_url + "/staff")
        page.goto(base_url + "/links")
        page.click("table a")
        links_page = page.url.split("?")[0]
        if width == 1280:
            page.fill("#count", "60")
            page.fill("#reference", "Crawl batch")
            page.click("button:has-text('Issue links')")
            page.goto(links_page)
        problems = []

        def check(name, page=page, width=width, problems=problems):
            found = violations(page)
            if found:
                problems.append(f"{name} at {width} px: {found}")
            if width <= 320 and has_horizontal_scroll(page):
                problems.append(f"{name} at {width} px scrolls sideways")

        assert page.locator(".govuk-pagination").count() == 1
        check("links page")
        page.click(".govuk-pagination__next a")
        assert "page=2" in page.url
        check("second page")
        page.select_option("#filter-status", "issued")
        page.fill("#filter-search", "<b>crawl</b> ' OR 1=1 --")
        page.select_option("#filter-sort", "oldest")
        page.click("button:has-text('Show links')")
        assert "No links match." in page.content()
        check("filtered page")
        page.goto(links_page + "?page=abc&status=answered&sort=x&search=" + "x" * 41)
        assert page.title().startswith("Error: ")
        assert page.locator(".govuk-error-summary li").count() == 4
        check("page with every filter error")
        page.goto(links_page + "?status=issued")
        boxes = page.locator("input[name=link]")
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.click("button:has-text('Print reminder letters')")
        assert page.locator(".sv-letter").count() == 2
        assert "A reminder" in page.content()
        check("reminder letters")
        page.goto(links_page)
        page.click("button:has-text('Print reminder letters')")
        assert page.title().startswith("Error: ")
        check("reminders with none chosen")
        context.close()
        assert problems == [], problems
