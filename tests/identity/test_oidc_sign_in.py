"""OpenID Connect sign-in against the real test provider: success with roles from groups, and
every refusal (unknown user, expired token, wrong audience, bad signature, IdP down, another
tenant's user, replayed state) a branded page with a 4xx/5xx, its code and an audit entry."""

import pytest
from django_tenants.utils import tenant_context

from tests.identity.fixtures import closed_port
from tests.identity.helpers import configure, sso_sign_in


def _entries(tenant, action):
    from apps.audit.models import AuditEntry

    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def clara(tenant_a):
    """A clinician of tenant A who also exists at the IdP (rolled back with the test)."""
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        return User.objects.create_user(
            "clara@alpha.test", "unused password 12", full_name="Clara C."
        )


@pytest.fixture
def sso_a(tenant_a, idp):
    with tenant_context(tenant_a):
        return configure(provider=idp, slug="alpha")


def test_sign_in_applies_roles_from_groups_and_lands_on_inbox(client_a, tenant_a, sso_a, clara):
    response = sso_sign_in(client_a, "clara")
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert client_a.get("/inbox/").status_code == 200
    with tenant_context(tenant_a):
        clara.refresh_from_db()
        assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer"}
        assert clara.full_name == "Clara Clinician"
        assert clara.manager.email == "bob@alpha.test"
        assert clara.departments.filter(key="radiology").exists()
    login = _entries(tenant_a, "sso.login")[-1]
    assert login.channel == "sso"
    assert login.actor_id == clara.pk
    assert login.detail["roles_added"] == ["utilization_reviewer"]
    role_change = _entries(tenant_a, "sso.role_added")[-1]
    assert role_change.channel == "sso"
    assert role_change.actor_id == clara.pk
    assert role_change.detail["groups"] == ["cs-utilization"]
    assert _entries(tenant_a, "login")[-1].channel == "sso"


def test_role_no_group_gives_any_more_is_taken_away(client_a, tenant_a, idp, clara):
    from apps.people.models import Role

    with tenant_context(tenant_a):
        Role.objects.get(key="director").members.add(clara)
        Role.objects.get(key="vp").members.add(clara)  # no group mentions vp: left alone
        configure(
            provider=idp,
            slug="alpha",
            group_roles={"cs-utilization": ["utilization_reviewer"], "cs-directors": ["director"]},
        )
    assert sso_sign_in(client_a, "clara").status_code == 302
    with tenant_context(tenant_a):
        assert set(clara.roles.values_list("key", flat=True)) == {"utilization_reviewer", "vp"}
    removed = _entries(tenant_a, "sso.role_removed")[-1]
    assert removed.detail["user_email"] == "clara@alpha.test"
    assert removed.channel == "sso"


def _refused(response, code, status):
    assert response.status_code == status
    body = response.content.decode()
    assert "We could not sign you in" in body
    assert code in body
    assert "Traceback" not in body
    assert "_auth_user_id" not in response.wsgi_request.session


def _failure_audited(tenant, code, email=""):
    entry = _entries(tenant, "sso.login_failed")[-1]
    assert entry.detail["code"] == code
    assert entry.channel == "sso"
    if email:
        assert entry.actor_email == email
    return entry


def test_unknown_user_with_jit_off_is_refused(client_a, tenant_a, sso_a):
    response = sso_sign_in(client_a, "clara")
    _refused(response, "sso_unknown_user", 403)
    _failure_audited(tenant_a, "sso_unknown_user", "clara@alpha.test")
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        assert not User.objects.filter(email="clara@alpha.test").exists()


def test_unknown_user_with_jit_on_is_created(client_a, tenant_a, idp):
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        configure(provider=idp, slug="alpha", jit_enabled=True)
    assert sso_sign_in(client_a, "clara").status_code == 302
    with tenant_context(tenant_a):
        clara = User.objects.get(email="clara@alpha.test")
        assert clara.full_name == "Clara Clinician"
        assert not clara.has_usable_password()
    created = _entries(tenant_a, "sso.user_created")[-1]
    assert created.channel == "sso"
    assert created.actor_id == clara.pk


def test_missing_email_claim_is_refused(client_a, tenant_a, sso_a):
    _refused(sso_sign_in(client_a, "nomail"), "sso_email_missing", 400)
    _failure_audited(tenant_a, "sso_email_missing")


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("expired", "sso_token_expired"),
        ("wrong_audience", "sso_wrong_audience"),
        ("bad_signature", "sso_bad_signature"),
        ("wrong_issuer", "sso_wrong_issuer"),
        ("wrong_nonce", "sso_nonce_mismatch"),
    ],
)
def test_bad_id_token_is_refused(client_a, tenant_a, sso_a, clara, idp, mode, code):
    idp.misbehave(mode)
    _refused(sso_sign_in(client_a, "clara"), code, 401)
    _failure_audited(tenant_a, code)
    with tenant_context(tenant_a):
        assert not clara.roles.exists()


def test_idp_down_is_a_clear_page(client_a, tenant_a, idp):
    with tenant_context(tenant_a):
        configure(provider=idp, slug="alpha", issuer_url=f"http://127.0.0.1:{closed_port()}/o")
    response = client_a.get("/sso/oidc/start/")
    _refused(response, "sso_idp_unreachable", 502)
    _failure_audited(tenant_a, "sso_idp_unreachable")


def test_user_of_tenant_a_asserting_on_tenant_b_is_refused(client_b, tenant_b, clara, idp):
    with tenant_context(tenant_b):
        configure(provider=idp, slug="bravo")
    _refused(sso_sign_in(client_b, "clara"), "sso_unknown_user", 403)
    _failure_audited(tenant_b, "sso_unknown_user", "clara@alpha.test")


def test_callback_of_another_tenant_or_replayed_is_refused(
    client_a, client_b, tenant_a, tenant_b, sso_a, clara, idp
):
    from urllib.parse import urlsplit

    from tests.identity.helpers import idp_login

    with tenant_context(tenant_b):
        configure(provider=idp, slug="bravo")
    start = client_a.get("/sso/oidc/start/")
    callback = urlsplit(idp_login(start["Location"], "clara"))
    # Tenant A's code and state handed to tenant B: B started no sign-in.
    _refused(client_b.get(f"{callback.path}?{callback.query}"), "sso_state_mismatch", 400)
    _failure_audited(tenant_b, "sso_state_mismatch")
    assert client_a.get(f"{callback.path}?{callback.query}").status_code == 302
    client_a.logout()
    # The same answer again: the state was used up.
    _refused(client_a.get(f"{callback.path}?{callback.query}"), "sso_state_mismatch", 400)


def test_idp_error_answer_is_refused(client_a, tenant_a, sso_a):
    client_a.get("/sso/oidc/start/")
    response = client_a.get("/sso/oidc/callback/?error=access_denied&state=x")
    _refused(response, "sso_idp_error", 400)
    _failure_audited(tenant_a, "sso_idp_error")


def test_not_configured_is_404_page(client_b, tenant_b):
    _refused(client_b.get("/sso/oidc/start/"), "sso_not_configured", 404)


def test_login_page_offers_the_idp(client_a, client_b, sso_a):
    assert "Sign in with Test IdP" in client_a.get("/login/").content.decode()
    assert "Sign in with" not in client_b.get("/login/").content.decode()


def test_an_email_that_moved_to_another_idp_account_is_refused(client_a, tenant_a, sso_a, clara):
    """Clara signed in once (linked to her IdP subject); a sign-in carrying her email from
    another IdP account opens nothing, until an admin unlinks her."""
    from apps.identity.models import SsoLink

    assert sso_sign_in(client_a, "clara").status_code == 302
    client_a.logout()
    with tenant_context(tenant_a):
        SsoLink.objects.filter(user=clara).update(subject="another-idp-account")
    _refused(sso_sign_in(client_a, "clara"), "sso_subject_mismatch", 403)
    _failure_audited(tenant_a, "sso_subject_mismatch", "clara@alpha.test")
    # olivia (no admin) cannot unlink; alice can.
    from tests.conftest import sign_in

    sign_in(client_a, "olivia@alpha.test")
    assert client_a.post("/admin/identity/unlink/", {"email": clara.email}).status_code == 403
    client_a.logout()
    sign_in(client_a, "alice@alpha.test")
    assert client_a.post("/admin/identity/unlink/", {"email": clara.email}).status_code == 302
    assert _entries(tenant_a, "sso.link_forgotten")[-1].detail["subject"] == "another-idp-account"
    client_a.logout()
    assert sso_sign_in(client_a, "clara").status_code == 302
    with tenant_context(tenant_a):
        assert SsoLink.objects.get(user=clara).subject != "another-idp-account"


def test_idp_down_between_start_and_callback_is_a_clear_page(client_a, tenant_a, sso_a, clara):
    from urllib.parse import urlsplit

    from apps.identity.models import IdentityProvider
    from tests.identity.helpers import idp_login

    start = client_a.get("/sso/oidc/start/")
    callback = urlsplit(idp_login(start["Location"], "clara"))
    with tenant_context(tenant_a):  # the IdP stops answering before the code is exchanged
        IdentityProvider.objects.update(issuer_url=f"http://127.0.0.1:{closed_port()}/o")
    _refused(client_a.get(f"{callback.path}?{callback.query}"), "sso_idp_unreachable", 502)
    _failure_audited(tenant_a, "sso_idp_unreachable")
    with tenant_context(tenant_a):
        assert not clara.roles.exists()


def test_sign_in_returns_to_the_page_asked_for_and_never_to_another_site(client_a, sso_a, clara):
    from urllib.parse import urlsplit

    from tests.identity.helpers import idp_login

    login_page = client_a.get("/login/?next=/my-requests/")
    assert b"/sso/oidc/start/?next=/my-requests/" in login_page.content
    start = client_a.get("/sso/oidc/start/?next=/my-requests/")
    callback = urlsplit(idp_login(start["Location"], "clara"))
    response = client_a.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302
    assert response["Location"] == "/my-requests/"
    client_a.logout()
    start = client_a.get("/sso/oidc/start/?next=https://evil.example/phish")
    callback = urlsplit(idp_login(start["Location"], "clara"))
    response = client_a.get(f"{callback.path}?{callback.query}")
    assert response["Location"] == "/inbox/"


def test_sign_out_ends_the_idp_session_too(client_a, tenant_a, sso_a, clara):
    """RP-initiated logout: Countersign's sign-out ends its own session, then sends the browser
    to the IdP's end_session_endpoint with the ID token, and the IdP sends it back to the
    tenant's sign-in page; the next sign-in asks for the IdP password again."""
    from urllib.parse import parse_qs, urlsplit

    import requests

    from tests.identity.helpers import idp_login

    browser_at_idp = requests.Session()
    start = client_a.get("/sso/oidc/start/")
    callback = urlsplit(idp_login(start["Location"], "clara", session=browser_at_idp))
    assert client_a.get(f"{callback.path}?{callback.query}").status_code == 302
    assert client_a.get("/inbox/").status_code == 200

    response = client_a.post("/logout/")
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}".startswith(
        sso_a.issuer_url
    )
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == ["http://alpha.localhost/login/"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client_a.get("/inbox/").status_code == 302  # signed out of Countersign already
    assert _entries(tenant_a, "logout")[-1].actor_id == clara.pk

    at_idp = browser_at_idp.get(response["Location"], allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302, at_idp.text[:300]
    assert at_idp.headers["Location"] == "http://alpha.localhost/login/"
    again = client_a.get("/sso/oidc/start/")
    authorize = browser_at_idp.get(again["Location"], allow_redirects=False, timeout=10)
    assert "/accounts/login/" in authorize.headers["Location"]  # the IdP asks again


def test_sign_out_when_the_idp_is_down_still_ends_the_countersign_session(
    client_a, tenant_a, idp, sso_a, clara
):
    from tests.identity.helpers import configure

    assert sso_sign_in(client_a, "clara").status_code == 302
    with tenant_context(tenant_a):
        configure(provider=idp, slug="alpha", issuer_url=f"http://127.0.0.1:{closed_port()}/o")
    response = client_a.post("/logout/", follow=True)
    assert response.status_code == 200
    assert b"You may still be signed in to" in response.content
    assert client_a.get("/inbox/").status_code == 302
