"""Publishing a report (issue 11) in a real browser: with the keyboard only and without JavaScript, the confirmation
page, its error and the published report meet WCAG 2.2 AA, and the report says its figures are frozen."""
from accessibility import violations
from test_report import seed_demo
from test_sentencer_meetings import psql
from test_staff_accounts import sign_in, staff_user  # noqa: F401 (the fixture)


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


def test_publishing_with_the_keyboard_and_no_javascript_meets_wcag_22_aa(no_js_page, base_url, staff_user):
    page = no_js_page
    inspection = ready_inspection()
    sign_in(page, base_url, staff_user("admin"))
    page.wait_for_url(base_url + "/staff")
    page.goto(f"{base_url}/inspections/{inspection}/publish")
    assert page.locator("h1").inner_text() == "Publish the report"
    assert violations(page) == []
    # Submitting without ticking the box: an error, linked to the box, and nothing published.
    page.focus("button.govuk-button--warning")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.title().startswith("Error:")
    assert page.locator(".govuk-error-summary a[href='#confirm']").count() == 1
    assert violations(page) == []
    # Tick with the space bar, publish with Enter.
    page.focus("#confirm")
    page.keyboard.press("Space")
    page.focus("button.govuk-button--warning")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/inspections/{inspection}/report")
    assert "these figures are frozen" in page.locator(".report-published").inner_text()
    assert violations(page) == []
    # Publishing again is refused, with the reason and no form.
    page.goto(f"{base_url}/inspections/{inspection}/publish")
    assert "already published" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#confirm").count() == 0
    assert violations(page) == []
