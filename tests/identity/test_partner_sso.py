"""Partner staff sign in to the partner console (the root host, public schema) through their
partner's own OpenID Connect IdP: the real test provider, its login page, the same checks as a
tenant's. Only the partner's own staff get in; the partner admin configures it; "Require SSO"
refuses partner staff passwords except the break-glass admins'; every refusal audited."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, sign_in
from tests.identity.fixtures import CLIENTS
from tests.identity.helpers import idp_login


def _public_entries(action):
    from apps.audit.models import AuditEntry

    with schema_context("public"):
        return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def _user(email):
    from apps.accounts.models import User

    with schema_context("public"):
        return User.objects.get(email=email)


def _partner(slug):
    from apps.tenants.models import Partner

    with schema_context("public"):
        return Partner.objects.get(slug=slug)


def configure_partner(*, provider, slug="partner-p", admin="paula@partner-p.test", **overrides):
    from apps.identity.partner import partner_identity_provider_update

    client_id, secret = CLIENTS["partner"]
    values = {
        "name": "Partner P Entra",
        "is_enabled": True,
        "issuer_url": provider.issuer,
        "client_id": client_id,
        "scopes": "openid email profile",
        "claim_email": "email",
        "claim_name": "name",
        "require_sso": False,
    }
    break_glass = overrides.pop("break_glass_admins", [])
    values.update(overrides)
    with schema_context("public"):
        return partner_identity_provider_update(
            actor=_user(admin),
            partner_id=_partner(slug).pk,
            values=values,
            client_secret=secret,
            break_glass_admins=break_glass,
        )


@pytest.fixture
def partner_sso(db, idp):
    return configure_partner(provider=idp)


def _console_sso(client, username, slug="partner-p"):
    start = client.get(f"/sso/{slug}/start/")
    assert start.status_code == 302, start.content[:500]
    callback = urlsplit(idp_login(start["Location"], username))
    assert callback.netloc == "localhost"
    return client.get(f"{callback.path}?{callback.query}")


def _refused(response, code, status):
    body = response.content.decode()
    assert response.status_code == status, body[:800]
    assert "We could not sign you in" in body
    assert code in body
    assert "Traceback" not in body
    assert "_auth_user_id" not in response.wsgi_request.session


def test_partner_staff_sign_in_through_the_partners_idp(client_public, partner_sso):
    page = client_public.get("/login/").content.decode()
    assert 'data-testid="partner-sso"' in page
    find = client_public.get("/sso/start/", {"partner": "partner-p"})
    assert find["Location"] == "/sso/partner-p/start/"
    response = _console_sso(client_public, "paula")
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == "/"
    home = client_public.get("/")
    assert home.status_code == 200
    assert "Partner P Health IT" in home.content.decode()
    paula = _user("paula@partner-p.test")
    assert paula.full_name == "Paula P. Partner"
    entry = _public_entries("sso.login")[-1]
    assert entry.channel == "sso"
    assert entry.actor_id == paula.pk
    assert entry.detail["partner_id"] == _partner("partner-p").pk
    assert entry.detail["idp"] == "Partner P Entra"
    # Sign-out ends the console session and says the IdP session may remain.
    out = client_public.post("/logout/", follow=True)
    assert b"You may still be signed in to Partner P Entra" in out.content
    assert client_public.get("/").status_code == 302


def test_staff_of_another_partner_is_refused(client_public, partner_sso):
    _refused(_console_sso(client_public, "quinn"), "sso_unknown_user", 403)
    entry = _public_entries("sso.login_failed")[-1]
    assert entry.detail["code"] == "sso_unknown_user"
    assert entry.actor_email == "quinn@partner-q.test"
    assert entry.channel == "sso"


def test_a_tenant_person_is_unknown_on_the_console(client_public, partner_sso):
    _refused(_console_sso(client_public, "clara"), "sso_unknown_user", 403)


def test_partner_without_sso_and_stray_callbacks(client_public, partner_sso):
    _refused(client_public.get("/sso/partner-q/start/"), "sso_not_configured", 404)
    _refused(client_public.get("/sso/no-such-partner/start/"), "sso_not_configured", 404)
    _refused(client_public.get("/sso/start/", {"partner": "../x"}), "sso_not_configured", 404)
    _refused(client_public.get("/sso/oidc/callback/?code=x&state=y"), "sso_state_mismatch", 400)


def test_idp_answer_for_another_browser_is_refused(client_public, partner_sso):
    start = client_public.get("/sso/partner-p/start/")
    callback = urlsplit(idp_login(start["Location"], "paula"))
    other = Client(HTTP_HOST="localhost")
    _refused(other.get(f"{callback.path}?{callback.query}"), "sso_state_mismatch", 400)


def test_bad_id_token_is_refused_and_audited(client_public, partner_sso, idp):
    idp.misbehave("wrong_audience")
    _refused(_console_sso(client_public, "paula"), "sso_wrong_audience", 401)
    assert _public_entries("sso.login_failed")[-1].detail["code"] == "sso_wrong_audience"


def test_partner_admin_configures_it_on_the_settings_page(client_public, idp):
    from apps.identity.models import IdentityProvider

    sign_in(client_public, "paula@partner-p.test")
    settings_page = client_public.get("/settings/").content.decode()
    assert 'data-testid="partner-sso-link"' in settings_page
    page = client_public.get("/settings/sso/").content.decode()
    assert "http://localhost/sso/oidc/callback/" in page
    assert "http://localhost/sso/partner-p/start/" in page
    form = {
        "name": "Partner P Entra",
        "is_enabled": "on",
        "issuer_url": idp.issuer,
        "client_id": CLIENTS["partner"][0],
        "client_secret": CLIENTS["partner"][1],
        "scopes": "openid email profile",
        "claim_email": "email",
        "claim_name": "name",
    }
    # Require SSO without a break-glass admin: refused on the field.
    response = client_public.post("/settings/sso/", {**form, "require_sso": "on"})
    assert response.status_code == 400
    assert 'data-testid="error-break_glass_admins"' in response.content.decode()
    response = client_public.post("/settings/sso/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context("public"):
        provider = IdentityProvider.objects.get(partner_id=_partner("partner-p").pk)
        assert provider.client_secret == CLIENTS["partner"][1]
        assert CLIENTS["partner"][1] not in provider.client_secret_encrypted
    entry = _public_entries("sso.settings_update")[-1]
    assert entry.channel == "partner_console"
    assert entry.actor_id == _user("paula@partner-p.test").pk
    assert CLIENTS["partner"][1] not in str(entry.detail)
    client_public.logout()
    assert _console_sso(client_public, "paula").status_code == 302


def test_settings_page_refuses_staff_other_partners_and_tenants(
    client_public, partner_sso, client_a
):
    from apps.accounts.models import User
    from apps.tenants.choices import PartnerRole
    from apps.tenants.models import PartnerMembership

    with schema_context("public"):
        sam = User.objects.create_user("sam@partner-p.test", PASSWORD, full_name="Sam Staff")
        PartnerMembership.objects.create(
            user=sam, partner=_partner("partner-p"), role=PartnerRole.STAFF
        )
    sign_in(client_public, "sam@partner-p.test")
    assert client_public.get("/settings/sso/").status_code == 403
    assert client_public.post("/settings/sso/", {"name": "x"}).status_code == 403
    quinn = Client(HTTP_HOST="localhost")
    sign_in(quinn, "quinn@partner-q.test")
    page = quinn.get("/settings/sso/").content.decode()
    assert "Partner P Entra" not in page  # his own partner's (empty) settings
    nobody = Client(HTTP_HOST="localhost")
    sign_in(nobody, "nobody@public.test")
    assert nobody.get("/settings/sso/").status_code in {302, 403}
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get("/settings/sso/").status_code == 404


def test_require_sso_refuses_partner_passwords_but_the_break_glass_admin(client_public, idp):
    from apps.accounts.models import User
    from apps.tenants.choices import PartnerRole
    from apps.tenants.models import PartnerMembership

    with schema_context("public"):
        sam = User.objects.create_user("sam@partner-p.test", PASSWORD, full_name="Sam Staff")
        PartnerMembership.objects.create(
            user=sam, partner=_partner("partner-p"), role=PartnerRole.STAFF
        )
    configure_partner(
        provider=idp, require_sso=True, break_glass_admins=[_user("paula@partner-p.test")]
    )
    response = sign_in(client_public, "sam@partner-p.test")
    assert response.status_code == 200
    assert "Your partner signs in with Partner P Entra" in response.content.decode()
    assert "_auth_user_id" not in client_public.session
    entry = _public_entries("sso.password_refused")[-1]
    assert entry.actor_id == sam.pk
    assert entry.channel == "sso"
    # The break-glass admin keeps her password; another partner's staff are untouched.
    assert sign_in(Client(HTTP_HOST="localhost"), "paula@partner-p.test").status_code == 302
    assert sign_in(Client(HTTP_HOST="localhost"), "quinn@partner-q.test").status_code == 302


def test_partner_client_secret_rotates_with_the_other_secrets(partner_sso, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from apps.identity.models import IdentityProvider

    before = partner_sso.client_secret_encrypted
    new_key = Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = f"{new_key},{settings.SECRETS_ENCRYPTION_KEYS}"
    call_command("secrets_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.SECRETS_ENCRYPTION_KEYS = new_key
    with schema_context("public"):
        after = IdentityProvider.objects.get(pk=partner_sso.pk)
        assert after.client_secret_encrypted != before
        assert after.client_secret == CLIENTS["partner"][1]
