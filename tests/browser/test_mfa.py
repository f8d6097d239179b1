"""In Chromium: a new tenant admin is sent to enrol an authenticator app, then signs in with a
code from it and, once, with a recovery code."""

import uuid
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def _code(secret: str, steps_ahead: int = 0) -> str:
    key = b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key, step=30, t0=0, digits=6, drift=steps_ahead)).zfill(6)


def _password_step(page, url, email):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def _sign_out(page):
    page.click("form[action='/logout/'] button")
    page.wait_for_selector("#id_username")


def test_admin_enrols_then_signs_in_with_a_code_and_with_a_recovery_code(page, live_site, settings):
    from apps.accounts.models import User
    from apps.tenants.models import Tenant

    settings.MFA_ENFORCE = True
    email = f"admin-{uuid.uuid4().hex[:10]}@alpha.test"
    with tenant_context(Tenant.objects.get(slug="alpha")):
        User.objects.create_user(email, PASSWORD, full_name="Mina Admin", is_tenant_admin=True)
    login_url = live_site.url("alpha", "/login/")

    # Password only: sent to enrolment, and nothing else opens.
    _password_step(page, login_url, email)
    page.wait_for_selector("[data-testid=mfa-enrol]")
    assert page.is_visible("[data-testid=mfa-required]")
    assert page.is_visible("[data-testid=mfa-qr] svg")
    page.goto(live_site.url("alpha", "/inbox/"))
    assert page.url.endswith("/account/mfa/enrol/")
    secret = page.inner_text("[data-testid=mfa-secret]").replace(" ", "")
    page.fill("#id_code", _code(secret))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=recovery-codes]")
    codes = [c.strip() for c in page.locator("[data-testid=recovery-codes] code").all_inner_texts()]
    assert len(codes) == 10
    screenshot(page, "mfa-recovery-codes")
    page.goto(live_site.url("alpha", "/inbox/"))
    assert page.url.endswith("/inbox/")
    _sign_out(page)

    # Password, then a code from the app (the next time step: the last one was used).
    _password_step(page, login_url, email)
    page.wait_for_selector("[data-testid=mfa-verify]")
    page.fill("#id_code", "000000")
    page.click("button[type=submit]")
    assert "That code is not right" in page.inner_text("[role=alert]")
    page.wait_for_timeout(1100)  # django-otp throttles for a second after a wrong code
    page.fill("#id_code", _code(secret, steps_ahead=1))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome, Mina")
    _sign_out(page)

    # Password, then a recovery code: accepted once.
    _password_step(page, login_url, email)
    page.wait_for_selector("[data-testid=mfa-verify]")
    page.fill("#id_code", codes[0])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome, Mina")
    assert "9 left" in page.inner_text("ul.messages")
    _sign_out(page)

    _password_step(page, login_url, email)
    page.wait_for_selector("[data-testid=mfa-verify]")
    page.fill("#id_code", codes[0])
    page.click("button[type=submit]")
    assert "That code is not right" in page.inner_text("[role=alert]")
    page.goto(live_site.url("alpha", "/inbox/"))
    assert "/login/" in page.url
