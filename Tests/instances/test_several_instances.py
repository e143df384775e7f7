"""Two `serve` processes on one database, as two instances behind a load balancer (issue 11).

scripts/test starts both (SV_INSTANCE_A, SV_INSTANCE_B) on a database of their own (DATABASE_URL, shared with the CLI
calls here) with one LINK_SECRET and separate DATA_DIRs, so nothing on disk is shared. These tests fail (they do not
skip) when the variables are missing. Plain HTTP through the standard library: what is under test is where state
lives, not the browser; the browser tests cover the pages themselves.
"""
import html
import http.client
import os
import re
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = str(ROOT / ".build/debug/stakeholder-views")
PASSWORD = "purple elephant marmalade"


@pytest.fixture(scope="session")
def instances():
    a, b = os.environ.get("SV_INSTANCE_A"), os.environ.get("SV_INSTANCE_B")
    assert a and b and os.environ.get("DATABASE_URL"), "SV_INSTANCE_A/B and DATABASE_URL are not set: run through scripts/test"
    return a.rstrip("/"), b.rstrip("/")


def psql(sql):
    """Runs the test's own SQL (fixtures, clean-up, checks) as the database's owner when scripts/test gives one: the
    servers' service role may not delete everything a test clears away."""
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"]
    return subprocess.run(["psql", "-qAtX", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def cli(*args, stdin=None):
    return subprocess.run([CLI, *args], input=stdin, check=True, capture_output=True, text=True, cwd=ROOT).stdout


class Browser:
    """One browser: one cookie jar for the host, whichever instance answers (as behind a load balancer)."""

    def __init__(self, forwarded_for=None):
        self.cookies = {}
        self.forwarded_for = forwarded_for

    def request(self, base, method, path, body=None, content_type="application/x-www-form-urlencoded"):
        url = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0]
                if cookie and "Max-Age=0" not in value and "1970" not in value:
                    self.cookies[name] = cookie
                else:
                    self.cookies.pop(name, None)
        connection.close()
        return response.status, response.getheader("Location"), text

    def get(self, base, path):
        return self.request(base, "GET", path)

    def post(self, base, path, fields):
        return self.request(base, "POST", path, urllib.parse.urlencode(fields))


def csrf(page):
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match, "no CSRF token on the page"
    return html.unescape(match.group(1))


def staff_user(role):
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.gov.uk"
    cli("user", "create", "--role", role, "--email", email, "--name", f"Instances {role}", stdin=PASSWORD + "\n")
    return email


def sign_in(browser, base, email, password=PASSWORD):
    _, _, page = browser.get(base, "/sign-in")
    return browser.post(base, "/sign-in", {"email": email, "password": password, "csrf_token": csrf(page)})


def test_a_staff_session_started_on_one_instance_works_on_the_other_and_signing_out_on_either_ends_it(instances):
    a, b = instances
    email = staff_user("inspector")
    browser = Browser()
    status, location, _ = sign_in(browser, a, email)
    assert status == 303 and location == "/staff"
    assert "sv_session" in browser.cookies
    status, _, page = browser.get(b, "/staff")
    assert status == 200 and "Signed in as Instances inspector" in page
    status, _, page = browser.get(a, "/staff")
    assert status == 200 and "Signed in as Instances inspector" in page

    # Sign out through B with the cookie A issued: A no longer knows the session.
    session = browser.cookies["sv_session"]
    status, location, _ = browser.post(b, "/sign-out", {"csrf_token": csrf(page)})
    assert status == 303 and location.startswith("/sign-in")
    stale = Browser()
    stale.cookies["sv_session"] = session
    status, location, _ = stale.get(a, "/staff")
    assert status == 303 and location.startswith("/sign-in")


def test_failed_sign_ins_on_one_instance_lock_the_account_on_the_other(instances):
    a, b = instances
    email = staff_user("inspector")
    for _ in range(6):
        status, _, _ = sign_in(Browser(), a, email, "not the password at all")
        assert status == 400
    status, _, page = sign_in(Browser(), b, email)
    assert status == 429
    assert "Too many attempts to sign in" in page


def wait_for_a_whole_window(window=15 * 60, needed=60):
    """The link-guess limit counts in fixed 15-minute windows: start the count where it cannot straddle two."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 1)


def test_link_guesses_are_counted_across_instances(instances):
    """The limit is 30 failed look-ups per address in 15 minutes; the 30th is already refused."""
    a, b = instances
    link = cli("dev", "demo-links", "--count", "1").split()
    wait_for_a_whole_window()
    browser = Browser()
    try:
        for _ in range(29):
            status, _, _ = browser.get(a, f"/q/{uuid.uuid4().hex}")
            assert status == 404
        # B's first guess is the address's 30th: refused only because B counts A's failures.
        status, _, _ = browser.get(b, f"/q/{uuid.uuid4().hex}")
        assert status == 429, "B did not see A's failures"
        # While blocked, even a real link is refused through either instance.
        assert browser.get(b, f"/q/{link[0]}")[0] == 429
        assert browser.get(a, f"/q/{link[0]}")[0] == 429
    finally:
        # Let the next tests use links again.
        psql("DELETE FROM rate_limit_hit WHERE bucket = 'victim-link'")


ANSWERS = {
    "completed_by": [("v2_completed_by", "victim")],
    "named_vlo": [("v5_named_vlo", "yes")],
    "helped_most": [("v19_helped_most", "Answered on two instances")],
}


def follow(browser, base, location):
    page = ""
    for _ in range(6):
        status, next_location, page = browser.get(base, location)
        if status not in (302, 303) or not next_location or not next_location.startswith("/"):
            return status, location, page
        location = next_location
    return status, location, page


def stored(token):
    """(sealed copies of this link's answers, sealed and released responses in all), read in one statement: a release
    by either instance moves a batch from one table to the other in one transaction, so the total does not change."""
    sealed, total = psql(
        "SELECT (SELECT count(*) FROM sealed_response s JOIN invitation i ON i.id = s.invitation_id "
        f"WHERE i.token_hash = sha256(convert_to('link:{token}', 'UTF8'))), "
        "(SELECT count(*) FROM sealed_response) + (SELECT count(*) FROM victim_response)"
    ).split("|")
    return int(sealed), int(total)


def test_a_questionnaire_moves_between_instances_and_is_stored_exactly_once(instances):
    a, b = instances
    token, _ = cli("dev", "demo-links", "--count", "1").split()[:2]
    nonce = f"Answered on two instances {uuid.uuid4().hex}"
    _, before = stored(token)
    victim = Browser()
    status, location, _ = victim.post(a, f"/q/{token}", {"lang": "en", "action": "start"})
    assert status == 303
    servers = [a, b]
    status, location, page = follow(victim, a, "/questionnaire")
    code = re.search(r"data-resume-code>([^<]+)<", page)
    assert code, "no resume code on the first question page"
    pages = 0
    while "Check your answers" not in page:
        match = re.search(r'action="/questionnaire/page/([^"]+)"', page)
        assert match, f"no question form on {location}"
        page_id = match.group(1)
        server = servers[pages % 2]
        answers = [(name, nonce if name == "v19_helped_most" else value) for name, value in ANSWERS.get(page_id, [])]
        fields = [*answers, ("action", "continue"), ("csrf_token", csrf(page))]
        status, next_location, _ = victim.post(server, f"/questionnaire/page/{page_id}", fields)
        assert status == 303, f"page {page_id} on {server}"
        # The next page is read through the other instance: the draft is in the database.
        status, location, page = follow(victim, servers[(pages + 1) % 2], next_location)
        # Both instances open the draft with the same resume code (sealed under LINK_SECRET, which they share).
        assert f"data-resume-code>{code.group(1)}<" in page, f"{location} on the other instance lost the resume code"
        pages += 1
        assert pages < 40
    assert pages >= 2, "the journey did not use both instances"
    assert nonce in page
    token_field = csrf(page)
    status, location, _ = victim.post(a, "/questionnaire/submit", {"csrf_token": token_field})
    assert status == 303
    # A second submit (a double click landing on the other instance) shows the confirmation and stores nothing.
    status, _, _ = victim.post(b, "/questionnaire/submit", {"csrf_token": token_field})
    assert status in (200, 303)
    status, _, done = follow(victim, b, location)
    assert status == 200 and "govuk-panel--confirmation" in done
    # Submitted: one sealed copy for this link, one more response in all; nothing in the report until a release.
    assert stored(token) == (1, before + 1)
    assert psql(f"SELECT count(*) FROM victim_response WHERE strpos(answers::text, '{nonce}') > 0") == "0"

    # Released (the window closed yesterday, so that one response is enough): its answers are in victim_response once.
    inspection = psql(f"SELECT inspection_id FROM invitation WHERE token_hash = sha256(convert_to('link:{token}', 'UTF8'))")
    dates = psql(f"SELECT victim_window_opens_on, victim_window_closes_on FROM inspection WHERE id = {inspection}").split("|")
    psql(
        "UPDATE inspection SET victim_window_closes_on = d.day, victim_window_opens_on = LEAST(victim_window_opens_on, d.day - 1) "
        f"FROM (SELECT (now() AT TIME ZONE 'Europe/London')::date - 1 AS day) AS d WHERE id = {inspection}"
    )
    try:
        cli("victims", "release")
        # Either instance's own release may have taken the batch first (the command then skips it): wait for its commit.
        for _ in range(100):
            if stored(token)[0] == 0:
                break
            time.sleep(0.1)
        assert stored(token) == (0, before + 1)
        assert psql(f"SELECT count(*) FROM victim_response WHERE strpos(answers::text, '{nonce}') > 0") == "1"
        # Released once: a second release changes nothing.
        cli("victims", "release")
        assert stored(token) == (0, before + 1)
        assert psql(f"SELECT count(*) FROM victim_response WHERE strpos(answers::text, '{nonce}') > 0") == "1"
    finally:
        # Open again, for the other tests' demonstration links.
        psql(f"UPDATE inspection SET victim_window_opens_on = '{dates[0]}', victim_window_closes_on = '{dates[1]}' WHERE id = {inspection}")


def multipart(fields, file_field, file_name, content):
    boundary = "sv-instances-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def settled(browser, base, path):
    for _ in range(300):
        status, _, page = browser.get(base, path)
        assert status == 200
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the import job did not finish")


def test_a_survey_upload_received_by_one_instance_is_followed_and_imported_through_the_other(instances, tmp_path):
    a, b = instances
    survey = tmp_path / "survey.csv"
    year = 2013
    cli("dev", "generate-survey", "--rows", "300", "--year", str(year), "--seed", str(uuid.uuid4().int % 100000), "-o", str(survey))
    before = int(psql("SELECT count(*) FROM service_user_import_batch"))
    browser = Browser()
    sign_in(browser, a, staff_user("admin"))
    _, _, page = browser.get(a, "/import/service-user-survey")
    action = html.unescape(re.search(r'<form[^>]*action="(/import/service-user-survey[^"]*)"', page).group(1))
    body, content_type = multipart({"year": str(year)}, "file", "instances.csv", survey.read_bytes())
    status, job, _ = browser.request(a, "POST", action, body, content_type)
    assert status == 303 and job.startswith("/import/service-user-survey/jobs/")

    # B shows A's check, and B's "import" button makes A (which has the file) import it.
    page = settled(browser, b, job)
    assert "Check the results before importing" in page, page
    match = re.search(r'<form method="post" action="([^"]*/import[^"]*)"', page)
    assert match, "no import button"
    status, _, _ = browser.post(b, html.unescape(match.group(1)), {})
    assert status == 303
    assert "Import complete" in settled(browser, b, job)
    assert "Import complete" in settled(browser, a, job)
    assert int(psql("SELECT count(*) FROM service_user_import_batch")) == before + 1


def test_reports_read_through_a_read_only_second_connection_still_work_and_write_on_the_main_one(instances):
    """Instance B has REPORT_DATABASE_URL on a connection with default_transaction_read_only=on."""
    a, b = instances
    seeded = cli("dev", "seed-demo")
    inspection = re.search(r"^Demo inspection (\d+):", seeded, re.MULTILINE).group(1)
    psql("DELETE FROM service_user_summary; DELETE FROM service_user_summary_batch")
    browser = Browser()
    sign_in(browser, b, staff_user("admin"))
    status, _, page = browser.get(b, f"/inspections/{inspection}/report")
    assert status == 200, page
    assert "Results for 2014" in page
    status, _, from_b = browser.get(b, f"/inspections/{inspection}/report.json")
    assert status == 200
    assert browser.get(b, f"/inspections/{inspection}/report.csv")[0] == 200
    # The survey summary the first request writes went through the main pool.
    assert int(psql("SELECT count(*) FROM service_user_summary_batch")) == 2
    # The same export as from A, which has no second connection.
    status, _, from_a = browser.get(a, f"/inspections/{inspection}/report.json")
    assert status == 200 and from_a == from_b
    assert psql(f"SELECT count(*) FROM audit_event WHERE event = 'report.exported' AND subject_id = '{inspection}'") == "3"
