"""SLA pages and the extension POST: admins in, everyone else refused."""

import copy
from datetime import timedelta

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.sla.models import Closure, SlaEvent, SlaOverride
from tests.approvals.helpers import submit_capital
from tests.conftest import host_of, sign_in
from tests.sla.helpers import submit_prior_auth

ADMIN_PAGES = ("/admin/sla/", "/admin/sla/policies/", "/admin/sla/calendar/")
OVERRIDE = {
    "workflow_key": "capital-purchase", "step_key": "director", "urgency": "standard",
    "hours": "12", "calendar": "business", "reminders": "50,90",
    "escalation_chain": "manager, role:vp", "breach_action": "reassign",
    "escalation_interval_hours": "8", "action": "save",
}  # fmt: skip


@pytest.fixture
def prior_auth(tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_prior_auth(carol)
        submit_capital(carol, "9000")  # an open task clock for the board
    return request


def _extend(client, request, days=3):
    due = (request.due_at + timedelta(days=days)).isoformat()
    return client.post(
        f"/requests/{request.reference}/sla/extend",
        {"new_due_at": due, "reason": "Peer review", "justification": "peer_review"},
    )


def test_admin_sees_board_policies_and_calendar(prior_auth, client_a):
    sign_in(client_a, "alice@alpha.test")
    board = client_a.get("/admin/sla/")
    assert board.status_code == 200
    assert prior_auth.reference.encode() in board.content
    assert b'href="/exceptions/"' in board.content
    policies = client_a.get("/admin/sla/policies/")
    assert b"cms-0057-f" not in policies.content or b"Prior" in policies.content
    assert b"Director review" in policies.content
    assert client_a.get("/admin/sla/calendar/").status_code == 200


def test_admin_overrides_a_policy_and_adds_a_closure(tenant_a, client_a):
    sign_in(client_a, "alice@alpha.test")
    assert client_a.post("/admin/sla/policies/", OVERRIDE).status_code == 302
    bad = client_a.post("/admin/sla/policies/", {**OVERRIDE, "escalation_chain": "the boss"})
    assert bad.status_code == 400
    response = client_a.post(
        "/admin/sla/calendar/", {"action": "closure", "date": "2026-12-24", "reason": "Eve"}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        row = SlaOverride.objects.get(workflow_key="capital-purchase", step_key="director")
        assert (row.hours, row.escalation_chain, row.reminders) == (
            12,
            ["manager", "role:vp"],
            [50, 90],
        )
        assert Closure.objects.filter(date="2026-12-24").exists()
    page = client_a.get("/admin/sla/policies/")
    assert b"override" in page.content
    reset = client_a.post("/admin/sla/policies/", {**OVERRIDE, "action": "reset"})
    assert reset.status_code == 302
    with tenant_context(tenant_a):
        assert not SlaOverride.objects.exists()


def test_non_admin_is_refused_admin_pages(tenant_a, client_a):
    sign_in(client_a, "bob@alpha.test")
    for path in ADMIN_PAGES:
        assert client_a.get(path).status_code == 403, path
    assert client_a.post("/admin/sla/policies/", OVERRIDE).status_code == 403
    assert (
        client_a.post(
            "/admin/sla/calendar/", {"action": "closure", "date": "2026-12-24"}
        ).status_code
        == 403
    )
    with tenant_context(tenant_a):
        assert not SlaOverride.objects.exists()
        assert not Closure.objects.exists()


def test_panel_shows_clocks_and_the_form_to_allowed_people(prior_auth, client_a):
    sign_in(client_a, "bob@alpha.test")  # a current approver (utilization review queue)
    page = client_a.get(f"/requests/{prior_auth.reference}/")
    assert b'data-testid="sla-request-clock"' in page.content
    assert b"CMS-0057-F" in page.content
    assert b'data-testid="sla-extend-form"' in page.content
    requester = Client(HTTP_HOST=host_of("alpha"))
    sign_in(requester, "carol@alpha.test")
    page = requester.get(f"/requests/{prior_auth.reference}/")
    assert b'data-testid="sla-request-clock"' in page.content
    assert b'data-testid="sla-extend-form"' not in page.content


def test_approver_extends_from_the_request_page(prior_auth, tenant_a, client_a):
    sign_in(client_a, "bob@alpha.test")
    response = _extend(client_a, prior_auth)
    assert response.status_code == 302
    with tenant_context(tenant_a):
        prior_auth.refresh_from_db()
        assert SlaEvent.objects.filter(kind="extended", clock__request=prior_auth).count() == 1


def test_outsiders_cannot_extend(prior_auth, tenant_a, client_a, client_b):
    sign_in(client_a, "olivia@alpha.test")  # same tenant, not involved: the request is hidden
    assert _extend(client_a, prior_auth).status_code == 404
    requester = Client(HTTP_HOST=host_of("alpha"))
    sign_in(requester, "carol@alpha.test")  # may see it, may not extend it
    assert _extend(requester, prior_auth).status_code == 403
    anonymous = Client(HTTP_HOST=host_of("alpha"))
    assert _extend(anonymous, prior_auth)["Location"].startswith("/login/")
    sign_in(client_b, "dave@bravo.test")
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)
    response = _extend(stolen, prior_auth)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert (
        client_b.post(
            f"/requests/{prior_auth.reference}/sla/extend", {"new_due_at": "2030-01-01T00:00"}
        ).status_code
        == 404
    )
    with tenant_context(tenant_a):
        assert not SlaEvent.objects.filter(kind="extended").exists()


def test_anonymous_and_other_tenant_are_sent_to_sign_in(tenant_a, client_a, client_b):
    sign_in(client_b, "dave@bravo.test")
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)
    for client in (client_a, stolen):
        for path in ADMIN_PAGES:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith("/login/")
        assert client.post("/admin/sla/policies/", OVERRIDE)["Location"].startswith("/login/")


def test_the_page_asks_why_and_refuses_an_extension_past_the_cap(prior_auth, tenant_a, client_a):
    sign_in(client_a, "bob@alpha.test")
    page = client_a.get(f"/requests/{prior_auth.reference}/").content.decode()
    assert 'name="justification"' in page
    assert "At most 14 days past the original due time" in page
    with tenant_context(tenant_a):
        due = prior_auth.due_at
    too_late = (due + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    for body, message in (
        (
            {"new_due_at": too_late, "reason": "Peer review", "justification": "peer_review"},
            "Extensions of this clock stop 14 days after its original due time.",
        ),
        ({"new_due_at": too_late, "reason": "Peer review"}, "The extension is incomplete."),
    ):
        response = client_a.post(f"/requests/{prior_auth.reference}/sla/extend", body, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode()
    with tenant_context(tenant_a):
        assert not SlaEvent.objects.filter(kind="extended", clock__request=prior_auth).exists()


PRIOR_AUTH_OVERRIDE = {
    **OVERRIDE, "workflow_key": "prior-auth-imaging", "step_key": "", "urgency": "expedited",
    "hours": "96", "calendar": "calendar", "breach_action": "notify",
}  # fmt: skip


def test_an_override_past_the_regulatory_clock_needs_a_reason_and_warns_on_the_board(
    tenant_a, client_a
):
    sign_in(client_a, "alice@alpha.test")
    refused = client_a.post("/admin/sla/policies/", PRIOR_AUTH_OVERRIDE)
    assert refused.status_code == 400
    assert b"CMS-0057-F decision time of 72 calendar hours" in refused.content
    assert b'data-testid="error-reason"' in refused.content
    # Business hours stretch the clock in wall time, so they need a reason too.
    within_but_business = {**PRIOR_AUTH_OVERRIDE, "hours": "48", "calendar": "business"}
    assert client_a.post("/admin/sla/policies/", within_but_business).status_code == 400
    with tenant_context(tenant_a):
        assert not SlaOverride.objects.filter(workflow_key="prior-auth-imaging").exists()
    assert client_a.get("/admin/sla/").content.count(b'data-testid="regulatory-warning"') == 0

    reason = "Payer contract allows 96 h for this plan"
    saved = client_a.post("/admin/sla/policies/", {**PRIOR_AUTH_OVERRIDE, "reason": reason})
    assert saved.status_code == 302
    with tenant_context(tenant_a):
        row = SlaOverride.objects.get(workflow_key="prior-auth-imaging", step_key="")
        assert (row.reason, row.regulatory_hours, row.updated_by.email) == (
            reason,
            72,
            "alice@alpha.test",
        )
    board = client_a.get("/admin/sla/").content.decode()
    warning = board[board.index('data-testid="regulatory-warning"') :]
    assert "prior-auth-imaging" in warning
    assert reason in warning
    assert "limit 72 h" in warning
    policies = client_a.get("/admin/sla/policies/").content.decode()
    assert 'data-testid="beyond-prior-auth-imaging-request-expedited"' in policies

    # Back within the regulation: no reason needed, no warning.
    within = {**PRIOR_AUTH_OVERRIDE, "hours": "48"}
    assert client_a.post("/admin/sla/policies/", within).status_code == 302
    with tenant_context(tenant_a):
        row.refresh_from_db()
        assert (row.regulatory_hours, row.reason) == (None, "")
    assert b'data-testid="regulatory-warning"' not in client_a.get("/admin/sla/").content
    # Other workflows are not regulated: a long capital-purchase clock needs no reason.
    long_capital = {**OVERRIDE, "hours": "500"}
    assert client_a.post("/admin/sla/policies/", long_capital).status_code == 302


def test_the_board_states_each_clock(prior_auth, client_a):
    sign_in(client_a, "alice@alpha.test")
    board = client_a.get("/admin/sla/").content.decode()
    states = board.count('data-testid="sla-state"><span class="badge badge-active">on time</span>')
    assert states >= 2  # the capital purchase's task clock and the prior authorization's


def test_every_signed_in_person_has_out_of_office_in_the_menu(client_a):
    sign_in(client_a, "carol@alpha.test")
    assert 'data-testid="nav-out-of-office"' in client_a.get("/inbox/").content.decode()
