"""Browser tests: a real headless Chromium (Debian's) driven by Playwright, with axe-core for accessibility.

scripts/test starts the server and sets SV_BASE_URL; these tests fail (they do not skip) when it is not set.
"""
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("SV_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("SV_BASE_URL")
    assert url, "SV_BASE_URL is not set: run the browser tests through scripts/test"
    return url.rstrip("/")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 320, "height": 640}, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SV_ARTIFACTS", ROOT / ".build" / "browser-artifacts"))
PASSWORD = "purple elephant marmalade"


@pytest.fixture
def issue_link():
    """Issues a fresh questionnaire link through the CLI (same database and link secret as the server)."""

    def issue(language="en"):
        out = subprocess.run(
            [str(ROOT / ".build/debug/stakeholder-views"), "dev", "demo-links", "--count", "1", "--language", language],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout.split()
        return {"token": out[0], "code": out[1]}

    return issue


@pytest.fixture
def staff_user():
    """Creates a user through `stakeholder-views user create` (password on standard input) and returns the email."""

    def create(role="admin"):
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.gov.uk"
        subprocess.run(
            [str(ROOT / ".build/debug/stakeholder-views"), "user", "create", "--role", role, "--email", email, "--name", f"Browser {role}"],
            input=PASSWORD + "\n", check=True, capture_output=True, text=True, cwd=ROOT,
        )
        return email

    return create


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
