"""In Chromium, against the real OpenID Connect provider on loopback: a tenant admin configures
single sign-on on the settings page (previewing a sample), a clinician signs in through the
provider's own login page and lands on the inbox with the role her group gives; then "Require
SSO" refuses her password while the break-glass admin still signs in with password and MFA.

Everything committed here is undone afterwards (the IdP row deleted; the two people left with
no roles, department, devices or address, deactivated), so later tests see tenant A as it was."""

import json
import uuid

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.identity.fixtures import CLIENTS, IDP_PASSWORD
from tests.security.helpers import code_for, enrol

pytestmark = pytest.mark.browser


def _alpha():
    from apps.tenants.models import Tenant

    connection.set_schema_to_public()
    return Tenant.objects.get(slug="alpha")


@pytest.fixture
def people(open_db):
    """Gwen, a new tenant admin, and Clara, a clinician the IdP knows (committed, emptied and
    deactivated afterwards)."""
    from apps.accounts.models import User
    from apps.identity.models import IdentityProvider, SsoLink

    suffix = uuid.uuid4().hex[:8]
    with tenant_context(_alpha()):
        gwen = User.objects.create_user(
            f"gwen-{suffix}@alpha.test", PASSWORD, full_name="Gwen Glass", is_tenant_admin=True
        )
        clara = User.objects.create_user("clara@alpha.test", PASSWORD, full_name="Clara C.")
    yield gwen, clara
    # Users cannot be deleted (their change records are append-only): they are emptied instead,
    # with no roles, departments or manager left, deactivated and their addresses freed.
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with tenant_context(_alpha()):
        IdentityProvider.objects.all().delete()
        SsoLink.objects.filter(user__in=[gwen, clara]).delete()
        for user in User.objects.filter(pk__in=[gwen.pk, clara.pk]):
            user.roles.clear()
            user.departments.clear()
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            user.manager = None
            user.is_active = False
            user.is_tenant_admin = False
            user.email = f"removed-{uuid.uuid4().hex[:12]}@alpha.test"
            user.save()
    connection.set_schema_to_public()


def _new_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _password_sign_in(page, url, email):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")


def test_admin_configures_oidc_clinician_signs_in_then_sso_is_required(
    chromium, live_site, oidc_provider, people
):
    gwen, clara = people
    oidc_provider.misbehave("normal")
    oidc_provider.allow_redirect("alpha", live_site.url("alpha", "/sso/oidc/callback/"))
    login_url = live_site.url("alpha", "/login/")
    client_id, client_secret = CLIENTS["alpha"]
    admin_context, admin = _new_page(chromium)
    clinician_context, clinician = _new_page(chromium)
    try:
        # The admin configures OIDC and previews what Clara's claims map to.
        _password_sign_in(admin, login_url, gwen.email)
        admin.wait_for_selector("text=Welcome, Gwen")
        admin.goto(live_site.url("alpha", "/admin/identity/"))
        redirect_uri = admin.inner_text("[data-testid=redirect-uri]")
        assert redirect_uri == live_site.url("alpha", "/sso/oidc/callback/")
        admin.fill("#id_name", "Test IdP")
        admin.check("#id_is_enabled")
        admin.fill("#id_issuer_url", oidc_provider.issuer)
        admin.fill("#id_client_id", client_id)
        admin.fill("#id_client_secret", client_secret)
        admin.fill("#id_claim_department", "department")
        admin.fill("#id_claim_manager", "manager_email")
        admin.fill("#id_group_roles", "cs-utilization: utilization_reviewer")
        sample = {"email": "clara@alpha.test", "name": "Clara Clinician",
                  "groups": ["cs-utilization", "all-staff"]}  # fmt: skip
        admin.fill("#id_sample_claims", json.dumps(sample))
        admin.click("[data-testid=preview]")
        admin.wait_for_selector("[data-testid=preview-result]")
        assert "sign in Clara C." in admin.inner_text("[data-testid=preview-outcome]")
        assert "Utilization" in admin.inner_text("[data-testid=preview-roles]")
        screenshot(admin, "sso-settings-preview")
        admin.fill("#id_client_secret", client_secret)  # password fields are not re-filled
        admin.click("[data-testid=save]")
        admin.wait_for_selector("text=Single sign-on settings saved.")

        # The clinician signs in through the provider's real login page.
        clinician.goto(login_url)
        clinician.click("text=Sign in with Test IdP")
        clinician.wait_for_selector("text=Sign in to Test IdP")
        assert clinician.url.startswith(oidc_provider.issuer.removesuffix("/o"))
        clinician.fill("#id_username", "clara")
        clinician.fill("#id_password", IDP_PASSWORD)
        clinician.click("button[type=submit]")
        clinician.wait_for_url("**/inbox/")
        screenshot(clinician, "sso-signed-in-inbox")
        with tenant_context(_alpha()):
            clara.refresh_from_db()
            assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer"}
            assert clara.full_name == "Clara Clinician"
        clinician_context.close()

        # Require SSO, with Gwen as the break-glass admin.
        admin.goto(live_site.url("alpha", "/admin/identity/"))
        admin.check("#id_require_sso")
        admin.check(f"[data-testid=break-glass-admins] input[value='{gwen.pk}']")
        admin.click("[data-testid=save]")
        admin.wait_for_selector("text=Single sign-on settings saved.")
        admin_context.close()

        # Clara's password is refused; she is pointed to the IdP.
        clinician_context, clinician = _new_page(chromium)
        _password_sign_in(clinician, login_url, clara.email)
        alert = clinician.inner_text("[role=alert]")
        assert "signs in with Test IdP" in alert
        assert clinician.is_visible("[data-testid=sso-sign-in]")
        screenshot(clinician, "sso-required-password-refused")
        clinician.goto(live_site.url("alpha", "/inbox/"))
        assert "/login/" in clinician.url

        # The break-glass admin still signs in with password and a code from her app.
        with tenant_context(_alpha()):
            device, _ = enrol(gwen)
        admin_context, admin = _new_page(chromium)
        _password_sign_in(admin, login_url, gwen.email)
        admin.wait_for_selector("[data-testid=mfa-verify]")
        admin.fill("#id_code", code_for(device, steps_ahead=1))
        admin.click("button[type=submit]")
        admin.wait_for_selector("text=Welcome, Gwen")
    finally:
        admin_context.close()
        clinician_context.close()
