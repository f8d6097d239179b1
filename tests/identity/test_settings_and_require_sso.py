"""The tenant admin's single sign-on page (permissions, the claims preview, the encrypted and
rotatable client secret) and "Require SSO" (password refused but for break-glass admins)."""

import json
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django_tenants.utils import tenant_context

from tests.conftest import sign_in
from tests.identity.helpers import configure
from tests.security.helpers import code_for, enrol

FORM = {
    "name": "Alpha Entra ID",
    "is_enabled": "on",
    "issuer_url": "https://login.example.test/alpha/v2.0",
    "client_id": "cs-alpha",
    "client_secret": "first secret",
    "scopes": "openid email profile",
    "claim_email": "email",
    "claim_name": "name",
    "claim_department": "department",
    "claim_manager": "",
    "claim_groups": "groups",
    "group_roles": "cs-utilization: utilization_reviewer\ncs-directors: director, vp",
}


def _provider(tenant):
    from apps.identity.models import IdentityProvider

    with tenant_context(tenant):
        return IdentityProvider.objects.order_by("pk").first()


def test_admin_saves_settings_and_the_secret_is_encrypted(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get("/admin/identity/").status_code == 200
    response = client_a.post("/admin/identity/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = _provider(tenant_a)
    assert provider.group_roles == {
        "cs-utilization": ["utilization_reviewer"],
        "cs-directors": ["director", "vp"],
    }
    assert "first secret" not in provider.client_secret_encrypted
    assert provider.client_secret == "first secret"
    page = client_a.get("/admin/identity/").content.decode()
    assert "first secret" not in page
    assert 'data-testid="secret-stored"' in page
    # Blank secret keeps the stored one.
    assert client_a.post("/admin/identity/", {**FORM, "client_secret": ""}).status_code == 302
    assert _provider(tenant_a).client_secret == "first secret"
    from apps.audit.models import AuditEntry

    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(action="sso.settings_update").latest("sequence")
        assert entry.actor_email == "alice@alpha.test"
        assert "first secret" not in json.dumps(entry.detail)
        from auditlog.models import LogEntry

        changes = [
            log.changes for log in LogEntry.objects.filter(object_pk=str(provider.pk))
            if log.content_type.model == "identityprovider"
        ]  # fmt: skip
        assert changes
        assert "client_secret_encrypted" not in json.dumps(changes)


def test_client_secret_rotates_with_the_other_secrets(client_a, tenant_a, settings):
    sign_in(client_a, "alice@alpha.test")
    client_a.post("/admin/identity/", FORM)
    before = _provider(tenant_a).client_secret_encrypted
    old_key = settings.SECRETS_ENCRYPTION_KEYS
    new_key = Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = f"{new_key},{old_key}"
    call_command("secrets_rotate", schema="alpha", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = _provider(tenant_a).client_secret_encrypted
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()).decode() == "first secret"
    settings.SECRETS_ENCRYPTION_KEYS = new_key  # the old key is gone: still readable
    assert _provider(tenant_a).client_secret == "first secret"


def test_unknown_role_key_and_bad_lines_are_refused(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    response = client_a.post("/admin/identity/", {**FORM, "group_roles": "staff: no_such_role"})
    assert response.status_code == 400
    assert "no_such_role" in response.content.decode()
    response = client_a.post("/admin/identity/", {**FORM, "group_roles": "just a group"})
    assert response.status_code == 400
    assert "line 1" in response.content.decode()
    assert _provider(tenant_a) is None


def test_preview_maps_sample_claims_without_saving(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    sample = {
        "email": "Bob@Alpha.test",
        "name": "Robert Approver",
        "department": "Radiology",
        "groups": ["cs-directors", "all-staff"],
    }
    response = client_a.post(
        "/admin/identity/", {**FORM, "preview": "1", "sample_claims": json.dumps(sample)}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="preview-result"' in body
    assert "sign in <strong>Bob Approver</strong> (bob@alpha.test)" in body
    from apps.people.models import Role

    with tenant_context(tenant_a):
        names = dict(Role.objects.values_list("key", "name"))
    roles = re.search(r'data-testid="preview-roles">([^<]*)<', body).group(1)
    assert set(roles.split(", ")) == {names["director"], names["vp"]}
    # bob's utilization_reviewer role would be taken away (no group of his gives it).
    removed = re.search(r'data-testid="preview-roles-removed">([^<]*)<', body).group(1)
    assert removed == names["utilization_reviewer"]
    assert _provider(tenant_a) is None  # nothing saved
    unknown = client_a.post(
        "/admin/identity/",
        {**FORM, "preview": "1", "sample_claims": json.dumps({"email": "new@alpha.test"})},
    ).content.decode()
    assert "sso_unknown_user" in unknown
    bad = client_a.post("/admin/identity/", {**FORM, "preview": "1", "sample_claims": "{nope"})
    assert bad.status_code == 400
    assert "not valid JSON" in bad.content.decode()


@pytest.mark.parametrize("who", ["bob@alpha.test", "olivia@alpha.test"])
def test_non_admins_are_refused(client_a, tenant_a, who):
    sign_in(client_a, who)
    assert client_a.get("/admin/identity/").status_code == 403
    assert client_a.post("/admin/identity/", FORM).status_code == 403
    assert _provider(tenant_a) is None


def test_anonymous_and_other_tenant_users_are_refused(client_a, tenant_a, tenant_b):
    assert client_a.get("/admin/identity/")["Location"].startswith("/login/")
    # dave of tenant B has no account on tenant A's host.
    assert sign_in(client_a, "dave@bravo.test").status_code == 200
    assert client_a.get("/admin/identity/")["Location"].startswith("/login/")
    # and tenant B's page shows B's settings only (none), never A's.
    sign_in(client_a, "alice@alpha.test")
    client_a.post("/admin/identity/", FORM)
    from apps.identity.models import IdentityProvider

    with tenant_context(tenant_b):
        assert not IdentityProvider.objects.exists()


def test_require_sso_needs_a_break_glass_admin(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    response = client_a.post("/admin/identity/", {**FORM, "require_sso": "on"})
    assert response.status_code == 400
    assert "break-glass admin" in response.content.decode()
    assert _provider(tenant_a) is None


@pytest.fixture
def require_sso(tenant_a, alice, idp):
    with tenant_context(tenant_a):
        return configure(provider=idp, slug="alpha", require_sso=True, break_glass_admins=[alice])


def test_require_sso_refuses_password_sign_in(client_a, tenant_a, require_sso):
    response = sign_in(client_a, "carol@alpha.test")
    assert response.status_code == 200
    body = response.content.decode()
    assert "signs in with Test IdP" in body
    assert "_auth_user_id" not in client_a.session
    from apps.audit.models import AuditEntry

    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(action="sso.password_refused").latest("sequence")
        assert entry.actor_email == "carol@alpha.test"
        assert entry.channel == "sso"
        assert entry.detail["code"] == "sso_required"


def test_break_glass_admin_keeps_password_and_mfa(client_a, tenant_a, alice, require_sso):
    with tenant_context(tenant_a):
        device, _ = enrol(alice)
    response = sign_in(client_a, "alice@alpha.test")
    assert response["Location"] == "/login/verify/"
    ok = client_a.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    assert ok.status_code == 302
    assert client_a.session["_auth_user_id"] == str(alice.pk)


def test_partner_console_password_sign_in_is_untouched(client_public, require_sso):
    response = client_public.post(
        "/login/", {"username": "paula@partner-p.test", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def test_accepting_an_invitation_under_require_sso_signs_nobody_in(client_a, tenant_a, require_sso):
    from apps.accounts.invitations import invitation_create

    with tenant_context(tenant_a):
        link = invitation_create(
            actor=None, email="newbie@alpha.test", base_url="http://alpha.localhost"
        )
    path = link.removeprefix("http://alpha.localhost")
    response = client_a.post(path, {"full_name": "New Bie", "password": "a long new password 9"})
    assert response.status_code == 302, response.content.decode()[:1000]
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client_a.session
    page = client_a.get("/login/").content.decode()
    assert "Your account is ready" in page
    assert "Sign in with Test IdP" in page
