"""Publishing a report (issue 11) in a real browser: it works with the keyboard only and without JavaScript, and the
confirmation page, its error, the refusal and the published report meet WCAG 2.2 AA (axe needs JavaScript, so the
accessibility checks run in a second browser context that has it)."""
from accessibility import violations
from test_report import seed_demo
from test_sentencer_meetings import psql
from test_staff_accounts import sign_in


def ready_inspection():
    """An inspection of the demonstration area whose window closed and week +2 passed, so it can be published."""
    seed_demo()
    return int(psql(
        """
        WITH demo AS (SELECT id, area_id FROM inspection WHERE title = 'Demonstration inspection' ORDER BY id DESC LIMIT 1),
        made AS (
            INSERT INTO inspection (title, area_id, announced_on, fieldwork_starts_on, week_plus_two_on, victim_window_opens_on,
                                    victim_window_closes_on)
            SELECT 'Browser publication ' || substr(md5(random()::text), 1, 8), area_id, current_date - 100, current_date - 60,
                   current_date - 40, current_date - 90, current_date - 40
            FROM demo RETURNING id),
        providers AS (
            INSERT INTO inspection_provider (inspection_id, provider_id)
            SELECT made.id, p.provider_id FROM made, demo JOIN inspection_provider p ON p.inspection_id = demo.id)
        SELECT id FROM made
        """
    ))


def publish_with_keyboard(page, base_url, inspection, check=lambda: None):
    """Opens the publish page, submits it unticked (an error), then ticks with the space bar and publishes with Enter;
    `check` runs on each page on the way."""
    page.goto(f"{base_url}/inspections/{inspection}/publish")
    assert page.locator("h1").inner_text() == "Publish the report"
    check()
    # Submitting without ticking the box: an error, linked to the box, and nothing published.
    page.focus("button.govuk-button--warning")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary a[href='#confirm']")
    assert page.title().startswith("Error:")
    check()
    page.focus("#confirm")
    page.keyboard.press("Space")
    assert page.is_checked("#confirm")
    page.focus("button.govuk-button--warning")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{inspection}/report")
    assert "these figures are frozen" in page.locator(".report-published").inner_text()
    check()
    # Publishing again is refused, with the reason and no form.
    page.goto(f"{base_url}/inspections/{inspection}/publish")
    assert "already published" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#confirm").count() == 0
    check()


def test_publishing_works_with_the_keyboard_and_without_javascript(no_js_page, base_url, staff_user):
    sign_in(no_js_page, base_url, staff_user("admin"))
    no_js_page.wait_for_url(base_url + "/staff")
    publish_with_keyboard(no_js_page, base_url, ready_inspection())


def test_the_publish_pages_and_the_published_report_meet_wcag_22_aa(page, base_url, staff_user):
    sign_in(page, base_url, staff_user("admin"))
    page.wait_for_url(base_url + "/staff")

    def no_violations():
        assert violations(page) == [], page.url

    publish_with_keyboard(page, base_url, ready_inspection(), check=no_violations)
