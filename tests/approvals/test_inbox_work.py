"""An inbox people can work in: columns per workflow without PHI, search, sort and filters in
the URL, saved views, "Decided by me" and "Watched", bulk decisions (POST, redirect, results),
and a number of queries that does not grow with the rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.inbox import ListColumns, money_text, present, sla_risk
from apps.approvals.models import ApprovalRequest, RequestWatch, SavedInboxView, Task
from apps.approvals.services import DecisionInput, task_decide
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.sla.helpers import PRIOR_AUTH, submit_prior_auth


def _references(html: str) -> list[str]:
    return re.findall(r'data-testid="task-([^"]+)"', html)


@pytest.fixture
def bobs_inbox(tenant_a, carol, bob):
    """Three capital requests for bob: $9,000 (oldest), $20,000 and $3,000 (newest)."""
    with tenant_context(tenant_a):
        made = [submit_capital(carol, amount) for amount in ("9000", "20000", "3000")]
        now = timezone.now()
        for age, request in zip((3, 2, 1), made, strict=True):
            type(request).objects.filter(pk=request.pk).update(
                submitted_at=now - timedelta(days=age)
            )
    return [request.reference for request in made]


def test_columns_show_open_fields_amount_in_the_tenants_currency_and_sla(
    tenant_a, client_a, bobs_inbox
):
    Tenant.objects.filter(pk=tenant_a.pk).update(currency="EUR")
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get("/inbox/").content.decode()
    assert "€20,000.00" in html
    assert "CT scanner upgrade · Acme Medical" in html
    assert "Radiology" in html
    assert "3 d" in html
    assert "1 d" in html


def test_a_prior_authorization_row_shows_no_phi_and_search_ignores_it(
    tenant_a, client_a, carol, bob
):
    with tenant_context(tenant_a):
        approval = submit_prior_auth(carol)
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get("/inbox/").content.decode()
    assert approval.reference in _references(html)
    for phi in ("patient_name", "member_id", "clinical_notes", "date_of_birth", "diagnosis"):
        assert str(PRIOR_AUTH[phi]) not in html
    assert f"{PRIOR_AUTH['payer']} · {PRIOR_AUTH['site_of_care']}" in html  # open fields
    found = client_a.get("/inbox/", {"q": "Jordan"}).content.decode()
    assert approval.reference not in _references(found)  # a patient's name finds nothing
    assert approval.reference in _references(
        client_a.get("/inbox/", {"q": "blue valley"}).content.decode()
    )


def test_search_over_reference_summary_and_requester(client_a, bobs_inbox):
    sign_in(client_a, "bob@alpha.test")
    one = bobs_inbox[1]
    assert _references(client_a.get("/inbox/", {"q": one}).content.decode()) == [one]
    by_requester = _references(client_a.get("/inbox/", {"q": "carol req"}).content.decode())
    assert sorted(by_requester) == sorted(bobs_inbox)
    by_summary = _references(client_a.get("/inbox/", {"q": "acme"}).content.decode())
    assert sorted(by_summary) == sorted(bobs_inbox)
    assert _references(client_a.get("/inbox/", {"q": "nothing like it"}).content.decode()) == []


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-amount", [1, 0, 2]),
        ("amount", [2, 0, 1]),
        ("age", [0, 1, 2]),
        ("-age", [2, 1, 0]),
    ],
)
def test_sorting(client_a, bobs_inbox, sort, order):
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get("/inbox/", {"sort": sort}).content.decode()
    assert _references(html) == [bobs_inbox[i] for i in order]
    assert f'<option value="{sort}" selected>' in html  # the URL's sort is the form's


def test_filters_by_workflow_and_state(tenant_a, client_a, bobs_inbox, carol):
    with tenant_context(tenant_a):
        prior = submit_prior_auth(carol)
    sign_in(client_a, "bob@alpha.test")
    capital = _references(client_a.get("/inbox/?workflow=capital-purchase").content.decode())
    assert sorted(capital) == sorted(bobs_inbox)
    in_review = _references(client_a.get("/inbox/?state=in_review").content.decode())
    assert set(bobs_inbox) | {prior.reference} <= set(in_review)
    assert _references(client_a.get("/inbox/?state=approved").content.decode()) == []


def test_saved_views_save_list_reopen_and_delete(tenant_a, client_a, bobs_inbox, bob, victor):
    sign_in(client_a, "bob@alpha.test")
    response = client_a.post(
        "/inbox/views",
        {"view_name": " Big  capital ", "workflow": "capital-purchase", "sort": "-amount"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/inbox/?workflow=capital-purchase&sort=-amount"
    with tenant_context(tenant_a):
        view = SavedInboxView.objects.get(owner=bob)
        assert (view.name, view.query) == ("Big capital", "workflow=capital-purchase&sort=-amount")
    page = client_a.get("/inbox/").content.decode()
    assert 'href="/inbox/?workflow=capital-purchase&amp;sort=-amount">Big capital</a>' in page
    reopened = client_a.get("/inbox/?workflow=capital-purchase&sort=-amount").content.decode()
    assert _references(reopened) == [bobs_inbox[i] for i in (1, 0, 2)]
    assert client_a.post("/inbox/views", {"view_name": ""}).status_code == 302
    with tenant_context(tenant_a):
        assert SavedInboxView.objects.filter(owner=bob).count() == 1
    # Another user neither sees nor deletes it.
    client_a.logout()
    sign_in(client_a, "victor@alpha.test")
    assert "Big capital" not in client_a.get("/inbox/").content.decode()
    assert client_a.post(f"/inbox/views/{view.pk}/delete").status_code == 404
    client_a.logout()
    sign_in(client_a, "bob@alpha.test")
    assert client_a.post(f"/inbox/views/{view.pk}/delete").status_code == 302
    with tenant_context(tenant_a):
        assert not SavedInboxView.objects.filter(pk=view.pk).exists()


def test_decided_by_me_and_watched(tenant_a, client_a, bobs_inbox, bob, olivia):
    with tenant_context(tenant_a):
        (task,) = Task.objects.filter(request__reference=bobs_inbox[0], status="pending")
        task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    sign_in(client_a, "bob@alpha.test")
    decided = client_a.get("/inbox/?scope=decided").content.decode()
    assert _references(decided) == [bobs_inbox[0]]
    assert bobs_inbox[0] not in _references(client_a.get("/inbox/").content.decode())
    assert client_a.post(f"/requests/{bobs_inbox[2]}/watch").status_code == 302
    assert "Stop watching" in client_a.get(f"/requests/{bobs_inbox[2]}/").content.decode()
    watched = client_a.get("/inbox/?scope=watched").content.decode()
    assert _references(watched) == [bobs_inbox[2]]
    assert 'name="task"' not in watched  # nothing to tick on a watched request
    client_a.post(f"/requests/{bobs_inbox[2]}/watch")  # toggles off
    assert _references(client_a.get("/inbox/?scope=watched").content.decode()) == []
    # Someone who may not see the request cannot watch it (and learns nothing).
    client_a.logout()
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.post(f"/requests/{bobs_inbox[2]}/watch").status_code == 404
    with tenant_context(tenant_a):
        assert not RequestWatch.objects.filter(user=olivia).exists()


def test_a_watch_outlives_no_access(tenant_a, client_a, bobs_inbox, olivia):
    """A watch row of a request the user can no longer see lists nothing."""
    with tenant_context(tenant_a):
        RequestWatch.objects.create(
            user=olivia, request=ApprovalRequest.objects.get(reference=bobs_inbox[0])
        )
    sign_in(client_a, "olivia@alpha.test")
    assert _references(client_a.get("/inbox/?scope=watched").content.decode()) == []


def test_bulk_decide_posts_redirects_and_lists_each_result(tenant_a, client_a, bobs_inbox):
    with tenant_context(tenant_a):
        ids = {
            t.request.reference: t.pk
            for t in Task.objects.filter(request__reference__in=bobs_inbox, status="pending")
        }
    sign_in(client_a, "bob@alpha.test")
    response = client_a.post(
        "/inbox/bulk", {"decision": "approve", "task": [ids[r] for r in bobs_inbox] + [999999]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/inbox/bulk/results"
    html = client_a.get(response["Location"]).content.decode()
    for reference in bobs_inbox:
        row = re.search(rf'data-testid="result-{reference}">(.*?)</tr>', html, re.S).group(1)
        assert "Decided" in row
    assert "not_found" in html
    assert "Decided 3 of 4 tasks; 1 refused." in html
    with tenant_context(tenant_a):
        assert set(Task.objects.filter(pk__in=ids.values()).values_list("status", flat=True)) == {
            "approved"
        }


def test_bulk_decide_refuses_a_request_changed_since_the_page_showed_it(
    tenant_a, client_a, bobs_inbox
):
    with tenant_context(tenant_a):
        tasks = {
            t.request.reference: t
            for t in Task.objects.filter(request__reference__in=bobs_inbox[:2], status="pending")
        }
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get("/inbox/").content.decode()
    shown = dict(re.findall(r'name="(version-\d+)" value="([^"]+)"', html))
    stale, fresh = (tasks[reference].pk for reference in bobs_inbox[:2])
    client_a.post(
        "/inbox/bulk",
        {
            "decision": "approve",
            "task": [stale, fresh],
            f"version-{stale}": "2020-01-01T00:00:00+00:00",
            f"version-{fresh}": shown[f"version-{fresh}"],
        },
    )
    html = client_a.get("/inbox/bulk/results").content.decode()
    assert "version_mismatch" in html
    assert "Decided 1 of 2 tasks; 1 refused." in html
    with tenant_context(tenant_a):
        assert Task.objects.get(pk=stale).status == "pending"
        assert Task.objects.get(pk=fresh).status == "approved"


def test_bulk_deny_needs_a_reason(tenant_a, client_a, bobs_inbox):
    with tenant_context(tenant_a):
        task_id = Task.objects.get(request__reference=bobs_inbox[0], status="pending").pk
    sign_in(client_a, "bob@alpha.test")
    client_a.post("/inbox/bulk", {"decision": "reject", "task": [task_id]})
    html = client_a.get("/inbox/bulk/results").content.decode()
    assert "invalid_input" in html
    assert "reason code" in html
    client_a.post(
        "/inbox/bulk",
        {
            "decision": "reject",
            "task": [task_id],
            "reason_code": "BUDGET_NOT_AVAILABLE",
            "comment": "Not this year.",
        },
    )
    with tenant_context(tenant_a):
        assert Task.objects.get(pk=task_id).status == "rejected"


def _query_count(client, path):
    client.get(path)  # warm up: session and per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/inbox/",
        "/inbox/?sort=-amount&q=carol",
        "/inbox/?state=in_review&workflow=capital-purchase",
        "/inbox/?scope=decided",
        "/inbox/?scope=watched",
    ],
)
def test_inbox_queries_do_not_grow_with_the_rows(tenant_a, client_a, carol, bob, path):
    def add(count):
        with tenant_context(tenant_a):
            for _ in range(count):
                request = submit_capital(carol, "5000")
                RequestWatch.objects.create(user=bob, request=request)
                (task,) = pending(request)
                if "decided" in path:
                    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))

    sign_in(client_a, "bob@alpha.test")
    add(2)
    few = _query_count(client_a, path)
    add(12)
    many = _query_count(client_a, path)
    assert many == few
    assert many <= 13


def test_a_task_in_my_queue_is_decided_in_bulk_like_on_its_page(tenant_a, client_a, carol):
    """A prior authorization waits in the reviewers' queue; bob, a reviewer, decides it from
    the inbox as the request page lets him."""
    with tenant_context(tenant_a):
        (task,) = pending(submit_prior_auth(carol))
        assert task.assignee_id is None
    sign_in(client_a, "bob@alpha.test")
    client_a.post("/inbox/bulk", {"decision": "approve", "task": [task.pk]})
    assert "Decided 1 of 1 tasks." in client_a.get("/inbox/bulk/results").content.decode()
    with tenant_context(tenant_a):
        assert Task.objects.get(pk=task.pk).status == "approved"


# --- how a row reads -------------------------------------------------------------------------


def test_money_text_per_currency():
    assert money_text(Decimal("1234.5"), "USD") == "$1,234.50"
    assert money_text(Decimal("1234.5"), "eur") == "€1,234.50"
    assert money_text(Decimal("1234.5"), "CHF") == "1,234.50 CHF"
    assert money_text(Decimal("1234"), "JPY") == "¥1,234"
    assert money_text(None, "USD") == ""


def test_sla_risk_says_it_in_words():
    now = timezone.now()
    start = now - timedelta(hours=20)
    assert sla_risk(None, start, now) == ("sla-none", "No clock")
    assert sla_risk(now - timedelta(minutes=1), start, now) == ("sla-overdue", "Overdue")
    assert sla_risk(now + timedelta(hours=2), start, now) == ("sla-at-risk", "At risk")
    assert sla_risk(now + timedelta(hours=20), start, now) == ("sla-ok", "On track")


def test_an_amount_whose_field_is_not_open_is_hidden():
    columns = ListColumns(summary={1: []}, searchable={}, amount_open=set())
    row = {
        "version_id": 1,
        "amount": Decimal("10"),
        "reference": "X-1",
        "due_at": None,
        "request_status": "in_review",
    }
    present([row], columns, currency="USD")
    assert (row["amount_text"], row["amount_hidden"]) == ("", True)
