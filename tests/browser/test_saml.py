"""In Chromium, against a real pysaml2 IdP on loopback (tests/identity/saml_idp.py, with its own
sign-in page): a tenant admin switches single sign-on to SAML 2.0 on the settings page and gives
the IdP's metadata URL, and a clinician signs in through the IdP (SP-initiated, from the
sign-in button), landing on the inbox with the role her group gives.

Everything committed here is undone afterwards (the IdP row and replay-cache rows deleted; the
two people left with no roles or department, deactivated), so later tests see tenant A as it was."""

import uuid

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.identity.saml_idp import ENTITY_ID, serve_login

pytestmark = pytest.mark.browser


def _alpha():
    from apps.tenants.models import Tenant

    connection.set_schema_to_public()
    return Tenant.objects.get(slug="alpha")


@pytest.fixture
def people(open_db):
    from apps.accounts.models import User
    from apps.identity.models import IdentityProvider, SamlAssertionSeen, SsoLink

    suffix = uuid.uuid4().hex[:8]
    with tenant_context(_alpha()):
        gwen = User.objects.create_user(
            f"gwen-{suffix}@alpha.test", PASSWORD, full_name="Gwen Glass", is_tenant_admin=True
        )
        clara = User.objects.create_user("clara@alpha.test", PASSWORD, full_name="Clara C.")
    yield gwen, clara
    with tenant_context(_alpha()):
        IdentityProvider.objects.all().delete()
        SamlAssertionSeen.objects.all().delete()
        SsoLink.objects.filter(user__in=[gwen, clara]).delete()
        for user in User.objects.filter(pk__in=[gwen.pk, clara.pk]):
            user.roles.clear()
            user.departments.clear()
            user.manager = None
            user.is_active = False
            user.is_tenant_admin = False
            user.email = f"removed-{uuid.uuid4().hex[:12]}@alpha.test"
            user.save()
    connection.set_schema_to_public()


@pytest.fixture
def login_idp(tmp_path):
    server, idp = serve_login(tmp_path)
    yield idp
    server.shutdown()


def _new_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_admin_configures_saml_and_clinician_signs_in(chromium, live_site, login_idp, people):
    gwen, clara = people
    admin_context, admin = _new_page(chromium)
    clinician_context, clinician = _new_page(chromium)
    try:
        admin.goto(live_site.url("alpha", "/login/"))
        admin.fill("#id_username", gwen.email)
        admin.fill("#id_password", PASSWORD)
        admin.click("form button[type=submit]")
        admin.wait_for_selector("text=Welcome, Gwen")
        admin.goto(live_site.url("alpha", "/admin/identity/"))
        metadata_url = admin.inner_text("[data-testid=saml-metadata-url]")
        assert metadata_url == live_site.url("alpha", "/sso/saml/metadata/")
        assert admin.inner_text("[data-testid=saml-acs-url]") == live_site.url(
            "alpha", "/sso/saml/acs/"
        )
        admin.fill("#id_name", "Test SAML IdP")
        admin.check("#id_is_enabled")
        admin.check("[data-testid=protocol] input[value=saml]")
        admin.fill("#id_saml_idp_metadata_url", login_idp.metadata_url)
        admin.fill("#id_claim_name", "displayName")
        admin.fill("#id_claim_department", "department")
        admin.fill("#id_group_roles", "cs-utilization: utilization_reviewer")
        admin.click("[data-testid=save]")
        admin.wait_for_selector("text=Single sign-on settings saved.")
        assert ENTITY_ID in admin.inner_text("[data-testid=saml-idp-entity]")
        screenshot(admin, "saml-settings")

        clinician.goto(live_site.url("alpha", "/login/"))
        clinician.click("text=Sign in with Test SAML IdP")
        clinician.wait_for_selector("text=Sign in to Test SAML IdP")
        assert clinician.url.startswith(login_idp.sso_url)
        clinician.fill("#username", "clara")
        clinician.click("button[type=submit]")
        clinician.wait_for_url("**/inbox/")
        screenshot(clinician, "saml-signed-in-inbox")
        with tenant_context(_alpha()):
            clara.refresh_from_db()
            assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer"}
            assert clara.full_name == "Clara Clinician"
    finally:
        admin_context.close()
        clinician_context.close()
