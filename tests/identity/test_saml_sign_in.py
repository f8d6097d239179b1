"""SAML 2.0 sign-in against a real pysaml2 IdP (tests/identity/saml_idp.py): its signed
Responses posted to the ACS by the test client (HTTP-POST binding). Success with roles from
groups (IdP- and SP-initiated), and every refusal (unsigned, signature broken, wrong audience,
wrong recipient, expired, replayed, unknown user with JIT off, tenant A's person or Response on
tenant B) a branded page with its code and an audit entry."""

import pytest
from django_tenants.utils import tenant_context

from tests.identity.saml_idp import (
    ENTITY_ID,
    SamlIdp,
    serve_metadata,
    signature_stripped,
    tampered,
)

ACS_A = "http://alpha.localhost/sso/saml/acs/"
SP_A = "http://alpha.localhost/sso/saml/metadata/"
ACS_B = "http://bravo.localhost/sso/saml/acs/"
SP_B = "http://bravo.localhost/sso/saml/metadata/"


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    return SamlIdp(folder=tmp_path_factory.mktemp("saml-idp"), sso_url="http://127.0.0.1:9/idp/sso")


def configure_saml(*, idp, by_url: bool = False, **overrides):
    """Save the tenant's SAML settings through the service. Call inside the tenant."""
    from apps.accounts.models import User
    from apps.identity.services import identity_provider_update

    admin = User.objects.filter(is_tenant_admin=True).order_by("pk").first()
    if admin is None:  # tenant B has none: its first person becomes one (rolled back)
        admin = User.objects.order_by("pk").first()
        admin.is_tenant_admin = True
        admin.save(update_fields=["is_tenant_admin"])
    values = {
        "name": "Test SAML IdP",
        "is_enabled": True,
        "protocol": "saml",
        "saml_idp_metadata_url": idp.metadata_url if by_url else "",
        "issuer_url": "",
        "client_id": "",
        "scopes": "openid email profile",
        "claim_email": "email",
        "claim_name": "displayName",
        "claim_department": "department",
        "claim_manager": "manager",
        "claim_groups": "groups",
        "group_roles": {"cs-utilization": ["utilization_reviewer"]},
        "jit_enabled": False,
        "require_sso": False,
    }
    break_glass = overrides.pop("break_glass_admins", [])
    values.update(overrides)
    return identity_provider_update(
        actor=admin,
        values=values,
        break_glass_admins=break_glass,
        saml_metadata_xml="" if by_url else idp.metadata_xml,
    )


def _entries(tenant, action):
    from apps.audit.models import AuditEntry

    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def clara(tenant_a):
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        return User.objects.create_user(
            "clara@alpha.test", "unused password 12", full_name="Clara C."
        )


@pytest.fixture
def saml_a(tenant_a, saml_idp):
    with tenant_context(tenant_a):
        return configure_saml(idp=saml_idp)


def _post(client, saml_response, acs="/sso/saml/acs/"):
    return client.post(acs, {"SAMLResponse": saml_response, "RelayState": ""})


def _refused(response, code, status):
    assert response.status_code == status, response.content[:800]
    body = response.content.decode()
    assert "We could not sign you in" in body
    assert code in body
    assert "Traceback" not in body
    assert "_auth_user_id" not in response.wsgi_request.session


def _failure_audited(tenant, code, email=""):
    entry = _entries(tenant, "sso.login_failed")[-1]
    assert entry.detail["code"] == code
    assert entry.detail["protocol"] == "saml"
    assert entry.channel == "sso"
    if email:
        assert entry.actor_email == email
    return entry


def test_idp_initiated_sign_in_applies_roles_from_groups(
    client_a, tenant_a, saml_a, saml_idp, clara
):
    response = _post(client_a, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A))
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == "/inbox/"
    assert client_a.get("/inbox/").status_code == 200
    with tenant_context(tenant_a):
        clara.refresh_from_db()
        assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer"}
        assert clara.full_name == "Clara Clinician"
        assert clara.manager.email == "bob@alpha.test"
        assert clara.departments.filter(key="radiology").exists()
        assert clara.sso_links.get().issuer == ENTITY_ID
        assert clara.sso_links.get().subject == "idp-subject-clara"
    login = _entries(tenant_a, "sso.login")[-1]
    assert login.channel == "sso"
    assert login.actor_id == clara.pk
    assert login.detail["protocol"] == "saml"
    assert login.detail["roles_added"] == ["utilization_reviewer"]
    assert _entries(tenant_a, "sso.role_added")[-1].detail["groups"] == ["cs-utilization"]


def test_sp_initiated_sign_in_from_the_sign_in_page(client_a, tenant_a, saml_a, saml_idp, clara):
    page = client_a.get("/login/").content.decode()
    assert "Sign in with Test SAML IdP" in page
    assert 'href="/sso/saml/start/"' in page
    start = client_a.get("/sso/saml/start/")
    assert start.status_code == 302
    assert start["Location"].startswith("http://127.0.0.1:9/idp/sso?SAMLRequest=")
    assert "Signature=" in start["Location"]  # the AuthnRequest is signed with the SP key
    request_id = saml_idp.request_id_of(start["Location"])
    answer = saml_idp.response("clara", acs_url=ACS_A, audience=SP_A, in_response_to=request_id)
    response = _post(client_a, answer)
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == "/inbox/"
    client_a.logout()
    # The same request answered again (another assertion): the request was used up.
    again = saml_idp.response("clara", acs_url=ACS_A, audience=SP_A, in_response_to=request_id)
    _refused(_post(client_a, again), "sso_state_mismatch", 400)
    # An answer to a request Countersign never sent.
    other = saml_idp.response("clara", acs_url=ACS_A, audience=SP_A, in_response_to="id-forged")
    _refused(_post(client_a, other), "sso_state_mismatch", 400)
    _failure_audited(tenant_a, "sso_state_mismatch")


def test_metadata_by_url_and_sp_metadata(client_a, tenant_a, saml_idp, clara):
    server = serve_metadata(saml_idp)
    try:
        with tenant_context(tenant_a):
            provider = configure_saml(idp=saml_idp, by_url=True)
            assert provider.saml_idp_entity_id == ENTITY_ID
            assert provider.saml_sp_key_encrypted
            assert "PRIVATE KEY" not in provider.saml_sp_key_encrypted
            assert "PRIVATE KEY" in provider.saml_sp_key
    finally:
        server.shutdown()
    metadata = client_a.get("/sso/saml/metadata/")
    assert metadata.status_code == 200
    body = metadata.content.decode()
    assert f'entityID="{SP_A}"' in body
    assert ACS_A in body
    assert "X509Certificate" in body
    assert "PRIVATE" not in body
    assert (
        _post(client_a, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A)).status_code == 302
    )


def test_unknown_user_with_jit_off_is_refused(client_a, tenant_a, saml_a, saml_idp):
    from apps.accounts.models import User

    _refused(
        _post(client_a, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A)),
        "sso_unknown_user",
        403,
    )
    _failure_audited(tenant_a, "sso_unknown_user", "clara@alpha.test")
    with tenant_context(tenant_a):
        assert not User.objects.filter(email="clara@alpha.test").exists()


def test_unknown_user_with_jit_on_is_created(client_a, tenant_a, saml_idp):
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        configure_saml(idp=saml_idp, jit_enabled=True)
    response = _post(client_a, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A))
    assert response.status_code == 302
    with tenant_context(tenant_a):
        clara = User.objects.get(email="clara@alpha.test")
        assert not clara.has_usable_password()
        assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer"}


def test_unsigned_assertion_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    unsigned = signature_stripped(saml_idp.response("clara", acs_url=ACS_A, audience=SP_A))
    _refused(_post(client_a, unsigned), "sso_unsigned", 401)
    _failure_audited(tenant_a, "sso_unsigned")
    # A signed Response around an unsigned assertion is not enough either.
    sp_metadata = client_a.get("/sso/saml/metadata/").content.decode()
    wrapped = saml_idp.response(
        "clara", acs_url=ACS_A, audience=SP_A, signed=False, sign_response=True,
        sp_metadata=sp_metadata,
    )  # fmt: skip
    _refused(_post(client_a, wrapped), "sso_unsigned", 401)
    with tenant_context(tenant_a):
        assert not clara.roles.exists()


def test_tampered_assertion_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    """A signed assertion whose groups were edited after signing."""
    signed = saml_idp.response("carol", acs_url=ACS_A, audience=SP_A)
    forged = tampered(signed, ">all-staff<", ">cs-utilization<")
    _refused(_post(client_a, forged), "sso_bad_signature", 401)
    _failure_audited(tenant_a, "sso_bad_signature")


def test_signature_by_another_key_is_refused(client_a, tenant_a, saml_a, tmp_path, clara):
    impostor = SamlIdp(folder=tmp_path, sso_url="http://127.0.0.1:9/idp/sso")
    _refused(
        _post(client_a, impostor.response("clara", acs_url=ACS_A, audience=SP_A)),
        "sso_bad_signature",
        401,
    )
    _failure_audited(tenant_a, "sso_bad_signature")


def test_wrong_audience_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    answer = saml_idp.response(
        "clara", acs_url=ACS_A, audience="https://other.example/sso/saml/metadata/"
    )
    _refused(_post(client_a, answer), "sso_wrong_audience", 401)
    _failure_audited(tenant_a, "sso_wrong_audience")


def test_wrong_recipient_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    answer = saml_idp.response(
        "clara", acs_url=ACS_A, audience=SP_A, recipient="http://other.localhost/sso/saml/acs/"
    )
    _refused(_post(client_a, answer), "sso_wrong_recipient", 401)
    _failure_audited(tenant_a, "sso_wrong_recipient")


def test_expired_assertion_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    answer = saml_idp.response("clara", acs_url=ACS_A, audience=SP_A, lifetime_minutes=-10)
    _refused(_post(client_a, answer), "sso_token_expired", 401)
    _failure_audited(tenant_a, "sso_token_expired")


def test_replayed_assertion_is_refused(client_a, tenant_a, saml_a, saml_idp, clara):
    from apps.identity.models import SamlAssertionSeen

    answer = saml_idp.response("clara", acs_url=ACS_A, audience=SP_A)
    assert _post(client_a, answer).status_code == 302
    client_a.logout()
    _refused(_post(client_a, answer), "sso_replayed", 401)
    _failure_audited(tenant_a, "sso_replayed", "")
    with tenant_context(tenant_a):
        seen = SamlAssertionSeen.objects.get()
        assert seen.expires_at > seen.expires_at.now(seen.expires_at.tzinfo)


def test_user_of_tenant_a_on_tenant_b_is_refused(client_b, tenant_b, saml_idp, clara):
    with tenant_context(tenant_b):
        configure_saml(idp=saml_idp)
    _refused(
        _post(client_b, saml_idp.response("clara", acs_url=ACS_B, audience=SP_B)),
        "sso_unknown_user",
        403,
    )
    _failure_audited(tenant_b, "sso_unknown_user", "clara@alpha.test")


def test_response_for_tenant_a_posted_to_tenant_b_is_refused(
    client_b, tenant_a, tenant_b, saml_a, saml_idp, clara
):
    with tenant_context(tenant_b):
        configure_saml(idp=saml_idp)
    # As issued for A: addressed to A's ACS.
    _refused(
        _post(client_b, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A)),
        "sso_wrong_recipient",
        401,
    )
    _failure_audited(tenant_b, "sso_wrong_recipient")
    # Re-addressed to B's ACS but still meant for A's service provider.
    _refused(
        _post(client_b, saml_idp.response("clara", acs_url=ACS_B, audience=SP_A)),
        "sso_wrong_audience",
        401,
    )
    _failure_audited(tenant_b, "sso_wrong_audience")


def test_garbage_and_empty_posts_are_refused(client_a, tenant_a, saml_a):
    _refused(client_a.post("/sso/saml/acs/", {}), "sso_invalid_token", 400)
    _refused(_post(client_a, "bm90IHhtbA=="), "sso_invalid_token", 401)


def test_saml_not_configured(client_b, tenant_b):
    _refused(_post(client_b, "x"), "sso_not_configured", 404)
    _refused(client_b.get("/sso/saml/start/"), "sso_not_configured", 404)
    assert client_b.get("/sso/saml/metadata/").status_code == 404


SAML_FORM = {
    "name": "Alpha ADFS",
    "is_enabled": "on",
    "protocol": "saml",
    "claim_email": "email",
    "claim_name": "displayName",
    "claim_department": "",
    "claim_manager": "",
    "claim_groups": "groups",
    "group_roles": "cs-utilization: utilization_reviewer",
}


def test_admin_configures_saml_on_the_settings_page(client_a, tenant_a, saml_idp, clara):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.identity.models import IdentityProvider
    from tests.conftest import sign_in

    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/identity/").content.decode()
    assert SP_A in page
    assert ACS_A in page
    # No metadata yet: refused with a field error.
    response = client_a.post("/admin/identity/", SAML_FORM)
    assert response.status_code == 400
    assert 'data-testid="error-saml_idp_metadata_url"' in response.content.decode()
    # Not metadata: refused.
    junk = SimpleUploadedFile("idp.xml", b"<html>not metadata</html>", "text/xml")
    response = client_a.post("/admin/identity/", {**SAML_FORM, "saml_idp_metadata_file": junk})
    assert response.status_code == 400
    assert 'data-testid="error-saml_idp_metadata_file"' in response.content.decode()
    upload = SimpleUploadedFile("idp.xml", saml_idp.metadata_xml.encode(), "text/xml")
    response = client_a.post("/admin/identity/", {**SAML_FORM, "saml_idp_metadata_file": upload})
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(tenant_a):
        provider = IdentityProvider.objects.get()
        assert provider.is_saml
        assert provider.saml_idp_entity_id == ENTITY_ID
        key_before = provider.saml_sp_key_encrypted
    page = client_a.get("/admin/identity/").content.decode()
    assert ENTITY_ID in page
    assert "PRIVATE KEY" not in page
    # Saved again without a file: the metadata and the SP key pair stay.
    assert client_a.post("/admin/identity/", SAML_FORM).status_code == 302
    with tenant_context(tenant_a):
        provider = IdentityProvider.objects.get()
        assert provider.saml_idp_entity_id == ENTITY_ID
        assert provider.saml_sp_key_encrypted == key_before
    entry = _entries(tenant_a, "sso.settings_update")[-2]
    assert entry.channel == "web"
    assert entry.detail["saml_idp_entity_id"] == ENTITY_ID
    assert "PRIVATE" not in str(entry.detail)
    client_a.logout()
    # Configured on the page: the IdP's signed Response signs clara in.
    response = _post(client_a, saml_idp.response("clara", acs_url=ACS_A, audience=SP_A))
    assert response.status_code == 302


def test_settings_page_refuses_non_admins_and_other_tenants(client_a, client_b, tenant_a):
    from tests.conftest import sign_in

    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get("/admin/identity/").status_code == 403
    assert client_a.post("/admin/identity/", SAML_FORM).status_code == 403
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get("/admin/identity/").status_code == 403
    assert client_b.post("/admin/identity/", SAML_FORM).status_code == 403
    from apps.identity.models import IdentityProvider

    with tenant_context(tenant_a):
        assert not IdentityProvider.objects.exists()


def test_sp_private_key_rotates_with_the_other_secrets(tenant_a, saml_a, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from apps.identity.models import IdentityProvider

    with tenant_context(tenant_a):
        before = IdentityProvider.objects.get()
        key_pem = before.saml_sp_key
    new_key = Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = f"{new_key},{settings.SECRETS_ENCRYPTION_KEYS}"
    call_command("secrets_rotate", schema="alpha", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.SECRETS_ENCRYPTION_KEYS = new_key
    with tenant_context(tenant_a):
        after = IdentityProvider.objects.get()
        assert after.saml_sp_key_encrypted != before.saml_sp_key_encrypted
        assert after.saml_sp_key == key_pem


def test_require_sso_with_saml_refuses_passwords_but_the_break_glass_admin(
    client_a, tenant_a, saml_idp, clara
):
    from apps.accounts.models import User
    from tests.conftest import sign_in

    with tenant_context(tenant_a):
        alice = User.objects.get(email="alice@alpha.test")
        configure_saml(idp=saml_idp, require_sso=True, break_glass_admins=[alice])
    response = sign_in(client_a, "carol@alpha.test")
    assert response.status_code == 200
    assert "signs in with Test SAML IdP" in response.content.decode()
    assert "_auth_user_id" not in client_a.session
    assert _entries(tenant_a, "sso.password_refused")[-1].channel == "sso"
    # Through the IdP she gets in.
    response = _post(client_a, saml_idp.response("carol", acs_url=ACS_A, audience=SP_A))
    assert response.status_code == 302
