"""Staff accounts (issue 4) in a real browser: signing in with the keyboard and without JavaScript, and WCAG 2.2 AA
on every staff page, including pages showing errors."""
import uuid

from accessibility import has_horizontal_scroll, violations
from conftest import PASSWORD


def sign_in(page, base_url, email, password=PASSWORD):
    page.goto(base_url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_sign_in_page_meets_wcag_22_aa_and_fits_320px(page, phone_page, base_url):
    page.goto(base_url + "/sign-in")
    assert page.title().startswith("Sign in")
    assert violations(page) == []
    phone_page.goto(base_url + "/sign-in")
    assert not has_horizontal_scroll(phone_page)


def test_a_wrong_password_shows_an_accessible_error_summary(page, base_url, staff_user):
    email = staff_user("inspector")
    sign_in(page, base_url, email, "not the password at all")
    assert page.title().startswith("Error: Sign in")
    assert "Enter a correct email address and password" in page.locator(".govuk-error-summary").inner_text()
    assert page.input_value("#password") == ""
    assert violations(page) == []


def test_sign_in_and_out_with_the_keyboard_only_and_no_javascript(no_js_page, base_url, staff_user):
    email = staff_user("inspector")
    page = no_js_page
    page.goto(base_url + "/sign-in")
    page.focus("#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "/staff")
    assert "Signed in as Browser inspector" in page.content()
    page.click("text=Sign out")
    page.wait_for_url(base_url + "/sign-in?signed-out=1")
    assert "You have signed out" in page.content()
    page.goto(base_url + "/staff")
    assert page.url.startswith(base_url + "/sign-in?return=")


def test_every_admin_page_meets_wcag_22_aa_with_and_without_errors(page, base_url, staff_user):
    sign_in(page, base_url, staff_user("admin"))
    page.wait_for_url(base_url + "/staff")
    for path in ("/staff", "/account/password", "/admin/users", "/admin/users/new", "/admin/organisations",
                 "/admin/organisations/new", "/admin/areas/new", "/admin/audit"):
        page.goto(base_url + path)
        assert violations(page) == [], path
    for path in ("/admin/users/new", "/admin/areas/new", "/admin/organisations/new", "/account/password"):
        page.goto(base_url + path)
        page.click("main button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 1, path
        assert violations(page) == [], path + " with errors"


def test_an_admin_adds_a_user_who_must_change_the_temporary_password(browser, page, base_url, staff_user):
    sign_in(page, base_url, staff_user("admin"))
    email = f"new-{uuid.uuid4().hex[:8]}@example.gov.uk"
    page.goto(base_url + "/admin/users/new")
    page.fill("#display-name", "Ffion Jones")
    page.fill("#email", email)
    page.check("#role-inspector")
    page.click("main button[type=submit]")
    temporary = page.locator("#temporary-password").inner_text()
    assert violations(page) == []
    other = browser.new_context().new_page()
    sign_in(other, base_url, email, temporary)
    other.wait_for_url(base_url + "/account/password")
    other.fill("#current-password", temporary)
    other.fill("#new-password", "seven green bottles standing")
    other.fill("#confirm-password", "seven green bottles standing")
    other.click("main button[type=submit]")
    other.wait_for_url(base_url + "/staff?password-changed=1")
    assert "Your password has been changed" in other.content()
    other.context.close()
