"""Break glass: only members of the break-glass role get the form instead of a 404; a reason is
required; access lasts 60 minutes, is tagged and audited, alerts the privacy officers and waits
for their review."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.models import BreakGlassGrant
from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from tests.approvals.helpers import submit_capital
from tests.compliance.helpers import role
from tests.conftest import sign_in


def _setup(tenant_a, carol, olivia, victor):
    with tenant_context(tenant_a):
        request = submit_capital(carol)
        role("break_glass", olivia)
        role("privacy_officer", victor)
    return request


def test_non_members_still_get_404(tenant_a, client_a, carol, olivia, victor):
    request = _setup(tenant_a, carol, olivia, victor)
    sign_in(client_a, "frank@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/").status_code == 404
    response = client_a.post(
        f"/requests/{request.reference}/break-glass", {"reason": "Patient in the ED now."}
    )
    assert response.status_code == 404
    with tenant_context(tenant_a):
        assert not BreakGlassGrant.objects.exists()


def test_members_get_the_form_only_for_requests_that_exist(
    tenant_a, client_a, carol, olivia, victor
):
    request = _setup(tenant_a, carol, olivia, victor)
    sign_in(client_a, "olivia@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/")
    assert page.status_code == 403
    assert b"Break glass" in page.content
    assert b"Reason for emergency access" in page.content
    assert b"CT scanner upgrade" not in page.content  # nothing of the request before the reason
    assert client_a.get("/requests/CAP-1999-999999/").status_code == 404


def test_break_glass_flow(tenant_a, client_a, carol, olivia, victor):
    request = _setup(tenant_a, carol, olivia, victor)
    detail = f"/requests/{request.reference}/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client_a, "olivia@alpha.test")
        refused = client_a.post(f"{detail}break-glass", {"reason": " "})
        assert refused.status_code == 400
        assert b"Give the reason for emergency access." in refused.content
        with tenant_context(tenant_a):
            assert not BreakGlassGrant.objects.exists()

        opened = client_a.post(
            f"{detail}break-glass", {"reason": "Patient in the ED, need the order history."}
        )
        assert opened.status_code == 302
        page = client_a.get(detail)
        assert page.status_code == 200
        assert b'data-testid="break-glass-banner"' in page.content
        assert b"CT scanner upgrade" in page.content

    with tenant_context(tenant_a):
        grant = BreakGlassGrant.objects.get()
        assert grant.user == olivia
        assert grant.expires_at == start + timedelta(minutes=60)
        assert grant.reviewed_at is None
        entries = AuditEntry.objects.filter(request_reference=request.reference)
        opened_entry = entries.get(action="break_glass.open")
        assert opened_entry.actor_id == olivia.pk
        assert opened_entry.detail["reason"] == "Patient in the ED, need the order history."
        view = entries.filter(action="request.view", actor_id=olivia.pk).get()
        assert view.detail["break_glass"] == grant.pk
        alert = Notification.objects.get(kind="break_glass")
        assert alert.recipient == victor
        assert alert.request_id == request.pk

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        client_a.logout()  # the idle session timeout is shorter than the grant
        sign_in(client_a, "olivia@alpha.test")
        assert client_a.get(detail).status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        client_a.logout()
        sign_in(client_a, "olivia@alpha.test")
        gone = client_a.get(detail)
        assert gone.status_code == 403  # the form again, not the request
        assert b"CT scanner upgrade" not in gone.content


def test_privacy_officer_reviews_break_glass(tenant_a, client_a, carol, olivia, victor):
    request = _setup(tenant_a, carol, olivia, victor)
    sign_in(client_a, "olivia@alpha.test")
    client_a.post(
        f"/requests/{request.reference}/break-glass", {"reason": "Urgent transfer review."}
    )
    assert client_a.get("/privacy/break-glass/").status_code == 403  # not a privacy officer
    client_a.logout()
    sign_in(client_a, "victor@alpha.test")
    page = client_a.get("/privacy/break-glass/")
    assert page.status_code == 200
    assert b"Urgent transfer review." in page.content
    with tenant_context(tenant_a):
        grant = BreakGlassGrant.objects.get()
    assert client_a.post("/privacy/break-glass/", {"grant": grant.pk}).status_code == 302
    with tenant_context(tenant_a):
        grant.refresh_from_db()
        assert grant.reviewed_by == victor
        assert grant.reviewed_at is not None
        assert AuditEntry.objects.filter(action="break_glass.review").exists()
    assert b"Urgent transfer review." not in client_a.get("/privacy/break-glass/").content
