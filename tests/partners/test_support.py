"""Support access: time-boxed grants, one-time entry links, visible support identity, banner,
immediate expiry, the tenant admins' list, optional approval."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.tenants.models import SupportGrant, SupportSession, Tenant
from tests.conftest import sign_in
from tests.partners.helpers import paula_console, quinn_console


def _grant(client, slug="alpha", minutes=60):
    response = client.post(
        f"/tenants/{slug}/support/",
        {"reason": "Ticket 4411: inbox shows no tasks", "duration_minutes": minutes},
    )
    assert response.status_code == 302, response.content[:500]
    return SupportGrant.objects.filter(tenant__slug=slug).latest("created_at")


def _enter(client, grant, slug="alpha"):
    response = client.post(f"/tenants/{slug}/support/{grant.pk}/enter/")
    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(f"http://{slug}.localhost/support/enter/")
    return link.removeprefix(f"http://{slug}.localhost")


def test_reason_is_required(db):
    response = paula_console().post(
        "/tenants/alpha/support/", {"reason": "", "duration_minutes": 60}
    )
    assert response.status_code == 400
    assert not SupportGrant.objects.exists()


def test_other_partner_cannot_request_or_enter(db):
    grant = _grant(paula_console())
    q = quinn_console()
    assert (
        q.post("/tenants/alpha/support/", {"reason": "x" * 20, "duration_minutes": 60}).status_code
        == 404
    )
    assert q.post(f"/tenants/alpha/support/{grant.pk}/enter/").status_code == 404


def test_support_session_is_visible_counted_and_expires_on_time(db):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        console = paula_console()
        grant = _grant(console, minutes=30)
        assert grant.expires_at == start + timedelta(minutes=30)
        path = _enter(console, grant)
        host = Client(HTTP_HOST="alpha.localhost")
        assert host.get(path).status_code == 302
        home = host.get("/")
        assert home.status_code == 200
        body = home.content.decode()
        assert 'data-testid="support-banner"' in body
        assert "Support: Paula Partner (Partner P Health IT)" in body
        assert "Ticket 4411" in body
        with tenant_context(Tenant.objects.get(slug="alpha")):
            support = User.objects.get(email="support+partner-p@countersign.invalid")
            assert not support.has_usable_password()
        # the link is single-use
        assert Client(HTTP_HOST="alpha.localhost").get(path).status_code == 403

        clock.move_to(start + timedelta(minutes=29))
        assert host.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=30, seconds=1))
        ended = host.get("/")
        assert ended.status_code == 403
        assert b"Support session ended" in ended.content
        assert host.get("/").status_code == 302  # signed out for good
        session = SupportSession.objects.get(grant=grant)
        assert session.end_reason == "expired"
        assert session.actions == 2  # the two pages seen while signed in

        # the tenant's admins see it; a same-tenant outsider does not
        alice = Client(HTTP_HOST="alpha.localhost")
        sign_in(alice, "alice@alpha.test")
        page = alice.get("/admin/support-sessions/").content.decode()
        assert "Ticket 4411" in page
        assert "support+partner-p@countersign.invalid" in page
        assert "expired" in page
        olivia = Client(HTTP_HOST="alpha.localhost")
        sign_in(olivia, "olivia@alpha.test")
        assert olivia.get("/admin/support-sessions/").status_code == 403


def test_entry_link_expires_and_cannot_be_used_on_another_tenant(db):
    console = paula_console()
    grant = _grant(console)
    path = _enter(console, grant)
    assert Client(HTTP_HOST="bravo.localhost").get(path).status_code == 403
    path = _enter(console, grant)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert Client(HTTP_HOST="alpha.localhost").get(path).status_code == 403


def test_tampered_link_is_refused(db):
    response = Client(HTTP_HOST="alpha.localhost").get("/support/enter/forged:token/")
    assert response.status_code == 403
    assert b"not valid" in response.content


def test_tenant_admin_revokes_and_session_ends_immediately(db):
    console = paula_console()
    grant = _grant(console)
    host = Client(HTTP_HOST="alpha.localhost")
    host.get(_enter(console, grant))
    assert host.get("/").status_code == 200
    alice = Client(HTTP_HOST="alpha.localhost")
    sign_in(alice, "alice@alpha.test")
    assert alice.post(f"/admin/support-sessions/{grant.pk}/revoke/").status_code == 302
    assert host.get("/").status_code == 403
    assert SupportSession.objects.get(grant=grant).end_reason == "revoked"


def test_approval_required_grant_waits_for_tenant_admin(db):
    Tenant.objects.filter(slug="alpha").update(support_requires_approval=True)
    console = paula_console()
    grant = _grant(console)
    assert grant.starts_at is None
    assert console.post(f"/tenants/alpha/support/{grant.pk}/enter/").status_code == 302
    assert SupportGrant.objects.get(pk=grant.pk).entry_nonce == ""  # refused: not active
    alice = Client(HTTP_HOST="alpha.localhost")
    sign_in(alice, "alice@alpha.test")
    assert "Waiting for your approval" in alice.get("/admin/support-sessions/").content.decode()
    alice.post(f"/admin/support-sessions/{grant.pk}/approve/")
    grant.refresh_from_db()
    assert grant.approved_by_email == "alice@alpha.test"
    assert grant.expires_at
    host = Client(HTTP_HOST="alpha.localhost")
    assert host.get(_enter(console, grant)).status_code == 302
    assert re.search(r"Support session", host.get("/").content.decode())


@pytest.mark.parametrize("email", ["olivia@alpha.test"])
def test_non_admin_cannot_approve(db, email):
    Tenant.objects.filter(slug="alpha").update(support_requires_approval=True)
    grant = _grant(paula_console())
    client = Client(HTTP_HOST="alpha.localhost")
    sign_in(client, email)
    assert client.post(f"/admin/support-sessions/{grant.pk}/approve/").status_code == 403
    grant.refresh_from_db()
    assert grant.approved_at is None


def test_signing_out_ends_the_support_session(db):
    """The logout receiver must stay connected (it was a weakly held local function, collected
    after start-up, so signing out left the session open until it expired)."""
    import gc

    gc.collect()
    console = paula_console()
    grant = _grant(console)
    host = Client(HTTP_HOST="alpha.localhost")
    assert host.get(_enter(console, grant)).status_code == 302
    assert host.get("/").status_code == 200
    host.post("/logout/")
    session = SupportSession.objects.get(grant=grant)
    assert session.ended_at is not None
    assert session.end_reason == "signed out"
