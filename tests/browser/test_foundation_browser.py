"""In Chromium: sign in to a tenant and see its branding; sessions do not cross tenants."""

import pytest

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def _sign_in(page, url, email):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_sign_in_to_a_tenant_shows_its_branding(page, live_site):
    _sign_in(page, live_site.url("alpha", "/login/"), "carol@alpha.test")
    page.wait_for_selector("text=Welcome, Carol")
    assert page.inner_text("[data-testid=brand-name]") == "Alpha General Hospital"
    colour = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert colour == "rgb(30, 58, 138)"  # #1e3a8a, tenant A's primary colour
    screenshot(page, "foundation-alpha-home")

    page.goto(live_site.url("bravo", "/login/"))
    assert page.inner_text("[data-testid=brand-name]") == "Bravo Community Clinics"
    colour_b = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert colour_b == "rgb(6, 95, 70)"  # #065f46


def test_a_session_from_tenant_a_does_not_authenticate_on_tenant_b(page, live_site):
    _sign_in(page, live_site.url("alpha", "/login/"), "alice@alpha.test")
    page.wait_for_selector("text=Welcome, Alice")
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "sessionid")
    # Copy tenant A's session cookie onto tenant B's host, as an attacker would.
    page.context.add_cookies(
        [{"name": "sessionid", "value": session["value"], "domain": "bravo.localhost",
          "path": "/"}]
    )  # fmt: skip
    page.goto(live_site.url("bravo", "/"))
    assert "/login/" in page.url
    assert page.is_visible("#id_username")


def test_tenant_a_user_cannot_sign_in_on_tenant_b(page, live_site):
    _sign_in(page, live_site.url("bravo", "/login/"), "alice@alpha.test")
    page.wait_for_selector("[role=alert]")
    assert "Please enter a correct email and password" in page.inner_text("[role=alert]")
