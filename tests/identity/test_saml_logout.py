"""SAML 2.0 single logout against the real pysaml2 IdP (tests/identity/saml_idp.py) whose
metadata has a SingleLogoutService: Countersign's sign-out sends a signed LogoutRequest and
takes the IdP's LogoutResponse; the IdP's own LogoutRequest ends the person's sessions (also
from a browser without the session cookie) and is answered with a signed LogoutResponse; an
unsigned, wrongly issued or wrongly signed one is refused with a page, a code and an audit
entry, and ends nothing."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_tenants.utils import tenant_context
from saml2 import BINDING_HTTP_REDIRECT
from saml2.samlp import STATUS_SUCCESS, STATUS_UNKNOWN_PRINCIPAL
from saml2.server import Server
from saml2.sigver import verify_redirect_signature

from tests.conftest import host_of
from tests.identity.saml_idp import SAML_PEOPLE, SamlIdp
from tests.identity.test_saml_sign_in import ACS_A, SP_A, configure_saml

SLO_A = "http://alpha.localhost/sso/saml/slo/"
IDP_SLO = "http://127.0.0.1:9/idp/slo"


@pytest.fixture(scope="session")
def slo_idp(tmp_path_factory):
    return SamlIdp(
        folder=tmp_path_factory.mktemp("saml-slo-idp"),
        sso_url="http://127.0.0.1:9/idp/sso",
        slo_url=IDP_SLO,
    )


@pytest.fixture
def clara(tenant_a):
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        return User.objects.create_user(
            "clara@alpha.test", "unused password 12", full_name="Clara C."
        )


@pytest.fixture
def slo_a(tenant_a, slo_idp):
    with tenant_context(tenant_a):
        return configure_saml(idp=slo_idp)


def _entries(tenant, action):
    from apps.audit.models import AuditEntry

    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def _signed_in(client, idp):
    answer = idp.response("clara", acs_url=ACS_A, audience=SP_A)
    response = client.post("/sso/saml/acs/", {"SAMLResponse": answer, "RelayState": ""})
    assert response.status_code == 302, response.content[:800]
    assert client.get("/inbox/").status_code == 200


def _query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _signed_out(client):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_sp_metadata_advertises_the_single_logout_service(client_a, slo_a):
    body = client_a.get("/sso/saml/metadata/").content.decode()
    assert "SingleLogoutService" in body
    assert f'Location="{SLO_A}"' in body


def test_sign_out_sends_a_signed_logout_request_and_takes_the_answer(
    client_a, tenant_a, slo_a, slo_idp, clara
):
    _signed_in(client_a, slo_idp)
    response = client_a.post("/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IDP_SLO}?SAMLRequest=")
    _signed_out(client_a)  # the Countersign session ended before the IdP was asked
    sp_metadata = client_a.get("/sso/saml/metadata/").content.decode()
    # The IdP checks the request's signature against the SP certificate in our metadata.
    request = slo_idp.logout_request_of(response["Location"], sp_metadata)
    assert request.name_id.text == SAML_PEOPLE["clara"]["name_id"]
    assert request.issuer.text == SP_A
    assert request.session_index
    assert request.session_index[0].text
    answer = slo_idp.logout_response(request, destination=SLO_A, sp_metadata=sp_metadata)
    back = client_a.get("/sso/saml/slo/", answer)
    assert back.status_code == 302, back.content[:800]
    assert back["Location"] == "/login/"
    page = client_a.get("/login/").content.decode()
    assert "signed out of Countersign and of Test SAML IdP" in page
    entry = _entries(tenant_a, "sso.logout")[-1]
    assert entry.channel == "sso"
    assert entry.actor_id == clara.pk
    assert entry.detail["initiated_by"] == "countersign"
    assert entry.detail["idp_confirmed"] is True
    # The same answer again: the request was used up.
    again = client_a.get("/sso/saml/slo/", answer)
    assert again.status_code == 400
    assert "sso_state_mismatch" in again.content.decode()
    assert "Traceback" not in again.content.decode()
    assert _entries(tenant_a, "sso.logout_failed")[-1].detail["code"] == "sso_state_mismatch"


def test_idp_that_did_not_log_out_is_said_so(client_a, tenant_a, slo_a, slo_idp, clara):
    _signed_in(client_a, slo_idp)
    response = client_a.post("/logout/")
    sp_metadata = client_a.get("/sso/saml/metadata/").content.decode()
    request = slo_idp.logout_request_of(response["Location"], sp_metadata)
    answer = slo_idp.logout_response(
        request, destination=SLO_A, sp_metadata=sp_metadata, status=STATUS_UNKNOWN_PRINCIPAL
    )
    back = client_a.get("/sso/saml/slo/", answer, follow=True)
    assert back.status_code == 200
    assert "did not confirm its own sign-out" in back.content.decode()
    assert _entries(tenant_a, "sso.logout")[-1].detail["idp_confirmed"] is False


def test_idp_without_single_logout_ends_the_countersign_session_only(
    client_a, tenant_a, clara, tmp_path
):
    idp = SamlIdp(folder=tmp_path, sso_url="http://127.0.0.1:9/idp/sso")
    with tenant_context(tenant_a):
        configure_saml(idp=idp)
    _signed_in(client_a, idp)
    response = client_a.post("/logout/", follow=True)
    assert response.status_code == 200
    assert b"You may still be signed in to Test SAML IdP" in response.content
    _signed_out(client_a)


def test_idp_initiated_logout_ends_every_session_of_the_person_and_answers(
    client_a, tenant_a, slo_a, slo_idp, clara
):
    other_browser = Client(HTTP_HOST=host_of("alpha"))
    _signed_in(client_a, slo_idp)
    _signed_in(other_browser, slo_idp)
    asked = slo_idp.logout_request("clara", destination=SLO_A, sp_entity_id=SP_A)
    # Sent through the browser that signed in (HTTP-Redirect, its session cookie comes along).
    response = client_a.get("/sso/saml/slo/", asked)
    assert response.status_code == 302, response.content[:800]
    assert response["Location"].startswith(f"{IDP_SLO}?SAMLResponse=")
    _signed_out(client_a)
    _signed_out(other_browser)
    answer = _query(response["Location"])
    assert answer["RelayState"] == "idp-relay"
    sp_metadata = client_a.get("/sso/saml/metadata/").content.decode()
    server = Server(config=slo_idp._config(sp_metadata=sp_metadata))
    certs = server.metadata.certs(SP_A, "spsso", "signing")
    assert any(
        verify_redirect_signature(answer, server.sec.sec_backend, cert) for _n, cert in certs
    )
    logout_response = server.parse_logout_request_response(
        answer["SAMLResponse"], BINDING_HTTP_REDIRECT
    ).response
    assert logout_response.status.status_code.value == STATUS_SUCCESS
    assert logout_response.issuer.text == SP_A
    entry = _entries(tenant_a, "sso.logout")[-1]
    assert entry.detail["initiated_by"] == "idp"
    assert entry.detail["sessions_ended"] == 2
    assert entry.actor_id == clara.pk
    assert entry.channel == "sso"


def test_idp_initiated_logout_without_the_session_cookie(client_a, tenant_a, slo_a, slo_idp, clara):
    """A cross-site POST from the IdP carries no Lax cookie: the sessions are found anyway."""
    _signed_in(client_a, slo_idp)
    asked = slo_idp.logout_request("clara", destination=SLO_A, sp_entity_id=SP_A)
    cookieless = Client(HTTP_HOST=host_of("alpha"))
    response = cookieless.post("/sso/saml/slo/", asked)
    assert response.status_code == 302
    _signed_out(client_a)


def _refused(response, code, status):
    body = response.content.decode()
    assert response.status_code == status, body[:800]
    assert "We could not complete the sign-out" in body
    assert code in body
    assert "Traceback" not in body


def test_unsigned_wrongly_issued_or_wrongly_signed_logout_requests_are_refused(
    client_a, tenant_a, slo_a, slo_idp, clara, tmp_path
):
    _signed_in(client_a, slo_idp)
    attacker = Client(HTTP_HOST=host_of("alpha"))
    unsigned = slo_idp.logout_request("clara", destination=SLO_A, sp_entity_id=SP_A, signed=False)
    _refused(attacker.get("/sso/saml/slo/", unsigned), "sso_unsigned", 401)
    assert _entries(tenant_a, "sso.logout_failed")[-1].detail["code"] == "sso_unsigned"
    (tmp_path / "other").mkdir()
    other = SamlIdp(
        folder=tmp_path / "other", sso_url="http://127.0.0.1:9/x", slo_url=IDP_SLO,
        entity_id="https://evil.example/metadata",
    )  # fmt: skip
    wrong_issuer = other.logout_request("clara", destination=SLO_A, sp_entity_id=SP_A)
    _refused(attacker.get("/sso/saml/slo/", wrong_issuer), "sso_wrong_issuer", 401)
    entry = _entries(tenant_a, "sso.logout_failed")[-1]
    assert entry.detail["code"] == "sso_wrong_issuer"
    assert entry.channel == "sso"
    (tmp_path / "impostor").mkdir()
    impostor = SamlIdp(folder=tmp_path / "impostor", sso_url="http://127.0.0.1:9/x")
    forged = impostor.logout_request("clara", destination=SLO_A, sp_entity_id=SP_A)
    _refused(attacker.get("/sso/saml/slo/", forged), "sso_bad_signature", 401)
    _refused(attacker.get("/sso/saml/slo/"), "sso_invalid_token", 400)
    # Clara is still signed in; nobody logged out.
    assert client_a.get("/inbox/").status_code == 200
    assert not _entries(tenant_a, "sso.logout")


def test_logout_request_on_another_tenant_ends_nothing_here(
    client_a, client_b, tenant_a, tenant_b, slo_a, slo_idp, clara
):
    with tenant_context(tenant_b):
        configure_saml(idp=slo_idp)
    _signed_in(client_a, slo_idp)
    asked = slo_idp.logout_request(
        "clara", destination="http://bravo.localhost/sso/saml/slo/",
        sp_entity_id="http://bravo.localhost/sso/saml/metadata/",
    )  # fmt: skip
    assert client_b.get("/sso/saml/slo/", asked).status_code == 302
    assert client_a.get("/inbox/").status_code == 200
    # And tenant A's SLO refuses a request addressed to tenant B.
    _refused(client_a.get("/sso/saml/slo/", asked), "sso_invalid_token", 400)
    assert client_a.get("/inbox/").status_code == 200


def test_slo_not_configured(client_b, tenant_b):
    response = client_b.get("/sso/saml/slo/")
    assert response.status_code == 404
    assert "sso_not_configured" in response.content.decode()
