"""A person the directory creates through SCIM has no password: on a tenant without single
sign-on (or where SSO is not required) they get the tenant's branded invitation email, through
the real SMTP server, whose link lets them choose a password and sign in. Where SSO is required
nothing is sent (they sign in through the IdP). Deactivation ends the link."""

from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import host_of
from tests.notifications.fixtures import html_of, text_of
from tests.scim.conftest import audit_entries, user_body

NEW_PASSWORD = "a long new passphrase 7"


def _create(scim, capture, email="Nora.Nurse@alpha.test", **extra):
    with capture(execute=True):
        response = scim.post("Users", user_body(email, given="Nora", family="Nurse", **extra))
    assert response.status_code == 201, response.content
    return response.json()


def _link_of(message) -> str:
    text = text_of(message)
    return text.split("http://alpha.localhost", 1)[1].split()[0]


def test_scim_user_without_sso_gets_the_branded_invitation_and_sets_a_password(
    scim, tenant_a, smtp_server, django_capture_on_commit_callbacks
):
    from apps.accounts.models import User

    body = _create(scim, django_capture_on_commit_callbacks)
    (message,) = smtp_server.to("nora.nurse@alpha.test")
    assert "You are invited to" in message["Subject"]
    assert "Your organisation's directory invited you" in text_of(message)
    path = _link_of(message)
    assert path.startswith("/invitations/inv_")
    assert path in html_of(message)
    entry = audit_entries(tenant_a, "scim.user.invitation_sent")[-1]
    assert entry.channel == "scim"
    assert entry.actor_email.startswith("scim:Entra ID#")
    assert entry.object_id == body["id"]

    person = Client(HTTP_HOST=host_of("alpha"))
    assert person.get(path).status_code == 200
    accepted = person.post(path, {"full_name": "Nora Nurse", "password": NEW_PASSWORD})
    assert accepted.status_code == 302
    with tenant_context(tenant_a):
        nora = User.objects.get(pk=int(body["id"]))
        assert nora.is_active
        assert nora.has_usable_password()
    again = Client(HTTP_HOST=host_of("alpha"))
    assert (
        again.post("/login/", {"username": nora.email, "password": NEW_PASSWORD}).status_code == 302
    )
    assert Client(HTTP_HOST=host_of("alpha")).get(path).status_code == 410


def test_sso_on_but_not_required_still_sends_it(
    scim, tenant_a, smtp_server, django_capture_on_commit_callbacks, idp
):
    from tests.identity.helpers import configure

    with tenant_context(tenant_a):
        configure(provider=idp, slug="alpha")
    _create(scim, django_capture_on_commit_callbacks)
    assert len(smtp_server.to("nora.nurse@alpha.test")) == 1
    assert audit_entries(tenant_a, "scim.user.invitation_sent")[-1].detail["sso"] == "Test IdP"


def test_nothing_is_sent_where_sso_is_required(
    scim, tenant_a, alice, smtp_server, django_capture_on_commit_callbacks, idp
):
    from tests.identity.helpers import configure

    with tenant_context(tenant_a):
        configure(provider=idp, slug="alpha", require_sso=True, break_glass_admins=[alice])
    _create(scim, django_capture_on_commit_callbacks)
    assert smtp_server.to("nora.nurse@alpha.test") == []
    assert not audit_entries(tenant_a, "scim.user.invitation_sent")


def test_an_inactive_person_gets_it_when_activated_and_deactivation_ends_the_link(
    scim, tenant_a, smtp_server, django_capture_on_commit_callbacks
):
    body = _create(scim, django_capture_on_commit_callbacks, active=False)
    assert smtp_server.to("nora.nurse@alpha.test") == []
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.patch(
            f"Users/{body['id']}", [{"op": "replace", "path": "active", "value": True}]
        )
    assert response.status_code == 200, response.content
    (message,) = smtp_server.to("nora.nurse@alpha.test")
    path = _link_of(message)
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.patch(
            f"Users/{body['id']}", [{"op": "replace", "path": "active", "value": False}]
        )
    assert response.status_code == 200
    refused = Client(HTTP_HOST=host_of("alpha")).post(
        path, {"full_name": "Nora Nurse", "password": NEW_PASSWORD}
    )
    assert refused.status_code == 410
    from apps.accounts.models import User

    with tenant_context(tenant_a):
        nora = User.objects.get(pk=int(body["id"]))
        assert not nora.is_active
        assert not nora.has_usable_password()


def test_another_tenants_token_sends_nothing(
    tenant_a, tenant_b, alice, smtp_server, django_capture_on_commit_callbacks
):
    """Tenant A's token on tenant B: refused, nobody created, no email."""
    from tests.scim.conftest import ScimClient, token_for

    wrong = ScimClient(host_of("bravo"), token_for(tenant_a, alice))
    with django_capture_on_commit_callbacks(execute=True):
        response = wrong.post("Users", user_body("eve@bravo.test"))
    assert response.status_code == 401
    assert smtp_server.messages == []
