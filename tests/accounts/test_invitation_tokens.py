"""Invitation links: an opaque random token (nothing of the tenant or the person readable in it),
stored only as its hash, single use; a new invitation ends the earlier link; links of the old
signed format are refused clearly; the email is the tenant's branded HTML with a text part."""

import base64
import hashlib

from django.core import mail, signing
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import sign_in


def _invite(client, email, capture):
    with capture(execute=True):
        assert client.post("/admin/users/invite/", {"email": email}).status_code == 302
    message = mail.outbox[-1]
    return message, message.body.split("http://alpha.localhost")[1].split()[0]


def test_the_link_is_opaque_single_use_and_branded(
    db, tenant_a, django_capture_on_commit_callbacks
):
    from apps.accounts.models import Invitation

    admin = Client(HTTP_HOST="alpha.localhost")
    sign_in(admin, "alice@alpha.test")
    message, path = _invite(admin, "nina@alpha.test", django_capture_on_commit_callbacks)
    token = path.strip("/").rsplit("/", 1)[1]
    assert token.startswith("inv_")
    padded = token[4:] + "=" * (-len(token[4:]) % 4)
    decoded = base64.urlsafe_b64decode(padded)
    assert b"alpha" not in decoded
    assert b"nina" not in decoded
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert path in html
    assert "Accept the invitation" in html
    with tenant_context(tenant_a):
        stored = Invitation.objects.get(user__email="nina@alpha.test")
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in stored.token_hash

    invitee = Client(HTTP_HOST="alpha.localhost")
    assert invitee.get(path).status_code == 200
    accepted = invitee.post(path, {"full_name": "Nina N", "password": "a long new passphrase 7"})
    assert accepted.status_code == 302
    again = Client(HTTP_HOST="alpha.localhost").get(path)
    assert again.status_code == 410
    assert b"already been accepted" in again.content


def test_a_new_invitation_ends_the_earlier_link(db, tenant_a, django_capture_on_commit_callbacks):
    admin = Client(HTTP_HOST="alpha.localhost")
    sign_in(admin, "alice@alpha.test")
    _, first = _invite(admin, "omar@alpha.test", django_capture_on_commit_callbacks)
    _, second = _invite(admin, "omar@alpha.test", django_capture_on_commit_callbacks)
    assert first != second
    assert Client(HTTP_HOST="alpha.localhost").get(first).status_code == 410
    assert Client(HTTP_HOST="alpha.localhost").get(second).status_code == 200


def test_links_of_the_old_signed_format_are_refused_clearly(db, tenant_a, alice):
    old = signing.TimestampSigner(salt="countersign.accounts.invitation").sign_object(
        {"s": tenant_a.schema_name, "u": alice.pk, "e": alice.email}
    )
    response = Client(HTTP_HOST="alpha.localhost").get(f"/invitations/{old}/")
    assert response.status_code == 410
    assert b"not valid here" in response.content
