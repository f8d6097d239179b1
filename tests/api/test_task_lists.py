"""GET /api/v1/tasks/mine and /tasks/queue read their rows as dicts (apps.api.v1.outputs.
inbox_tasks_out): each task must come out exactly as InboxTaskOut gives it for the same task,
for every kind of pending task, in a number of queries that does not grow with the page."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from rest_framework.renderers import JSONRenderer

from apps.api.v1.outputs import InboxTaskOut
from apps.approvals.models import ApprovalRequest, Decision, Task
from apps.people.models import Role
from tests.approvals.helpers import pending, submit_capital


def _expected(task_ids: list[int]) -> dict[int, dict]:
    tasks = Task.objects.filter(pk__in=task_ids)
    return {t.pk: json.loads(JSONRenderer().render(InboxTaskOut(t).data)) for t in tasks}


@pytest.fixture
def bobs_pending(tenant_a, carol, bob, victor):
    """Pending tasks of bob's of every shape: due and not, held for someone, no department,
    no amount, an amount with cents, a decision row already there (by the schema's rules a
    pending task has none, but the list must not hide one), and one in a queue of his."""
    with tenant_context(tenant_a):
        made = [submit_capital(carol, amount) for amount in ("5000", "7000.5", "6000", "900")]
        tasks = [pending(request)[0] for request in made]
        Task.objects.filter(pk=tasks[0].pk).update(
            due_at=datetime(2030, 3, 4, 5, 6, 59, 123456, tzinfo=UTC)
        )
        Task.objects.filter(pk=tasks[1].pk).update(on_behalf_of=victor, due_at=None)
        ApprovalRequest.objects.filter(pk=made[1].pk).update(department=None, urgency="expedited")
        ApprovalRequest.objects.filter(pk=made[2].pk).update(amount=None)
        Decision.objects.create(
            task=tasks[2], request=made[2], actor=bob, outcome="approve", partial=True
        )
        Task.objects.filter(pk=tasks[3].pk).update(
            assignee=None, queue_role=Role.objects.get(key="director")
        )
        return [t.pk for t in tasks]


def test_each_task_is_listed_as_the_serializer_gives_it(tenant_a, api, bob, bobs_pending):
    client = api(bob)
    mine = client.get("/api/v1/tasks/mine").json()["results"]
    queue = client.get("/api/v1/tasks/queue").json()["results"]
    assert bobs_pending[3] in {t["id"] for t in queue}
    listed = {t["id"]: t for t in mine + queue if t["id"] in bobs_pending}
    assert set(listed) == set(bobs_pending)
    with tenant_context(tenant_a):
        expected = _expected(bobs_pending)
    for task_id in bobs_pending:
        assert listed[task_id] == expected[task_id]
    held, decided = listed[bobs_pending[1]], listed[bobs_pending[2]]
    assert held["on_behalf_of"]["email"] == "victor@alpha.test"
    assert (held["request"]["department"], held["request"]["amount"]) == (None, "7000.50")
    assert decided["decision"]["outcome"] == "approve"
    assert decided["request"]["amount"] is None
    assert listed[bobs_pending[0]]["due_at"] == "2030-03-04T05:06:59.123456Z"


def test_no_one_else_sees_them(api, carol, bobs_pending):
    """The requester of those requests is in the tenant but neither assignee nor in the queue's
    role; another tenant's key gets nothing here at all (tests/api/test_requests.py)."""
    client = api(carol)
    for path in ("/api/v1/tasks/mine", "/api/v1/tasks/queue"):
        response = client.get(path)
        assert response.status_code == 200
        assert not {t["id"] for t in response.json()["results"]} & set(bobs_pending), path


def test_the_query_count_does_not_grow_with_the_page(tenant_a, api, carol, bob):
    client = api(bob)
    client.get("/api/v1/tasks/mine")  # a key's first use is recorded once
    counts = []
    for _ in range(2):
        with tenant_context(tenant_a):
            for _ in range(3):
                submit_capital(carol, "5000")
        with CaptureQueriesContext(connection) as queries:
            listed = client.get("/api/v1/tasks/mine").json()["results"]
        counts.append((len(listed), len(queries)))
    (first_rows, first_queries), (rows, queries_then) = counts
    assert rows == first_rows + 3
    assert queries_then == first_queries


def test_the_cursor_pages_through_every_task_once(tenant_a, api, carol, bob):
    with tenant_context(tenant_a):
        for _ in range(5):
            submit_capital(carol, "5000")
        expected = list(
            Task.objects.filter(assignee=bob, status="pending")
            .order_by("created_at", "id")
            .values_list("id", flat=True)
        )
    client = api(bob)
    seen: list[int] = []
    page = client.get("/api/v1/tasks/mine", {"page_size": 2}).json()
    while True:
        seen += [t["id"] for t in page["results"]]
        if not page["next"]:
            break
        page = client.client.get(page["next"], headers=client.headers()).json()
    assert seen == expected
