"""What an inbox row shows for each kind of task: assigned to me, held on someone's behalf, and
unclaimed in one of my queues; with and without a due time, standard and expedited."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.approvals.models import Task
from apps.people.models import Role
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in


@pytest.fixture
def bobs_tasks(tenant_a, carol, bob, victor):
    """Three pending tasks that bob sees in his inbox, one of each kind."""
    with tenant_context(tenant_a):
        assigned = submit_capital(carol, "5000")
        (task,) = pending(assigned)
        Task.objects.filter(pk=task.pk).update(due_at=datetime(2030, 3, 4, 5, 6, 59, tzinfo=UTC))
        assigned.urgency = "expedited"
        assigned.save(update_fields=["urgency"])

        on_behalf = submit_capital(carol, "7000")
        (held_for_victor,) = pending(on_behalf)  # as a delegation leaves it
        Task.objects.filter(pk=held_for_victor.pk).update(on_behalf_of=victor, due_at=None)

        queued = submit_capital(carol, "6000")
        (queue_task,) = pending(queued)
        Task.objects.filter(pk=queue_task.pk).update(
            assignee=None, queue_role=Role.objects.get(key="director"), due_at=None
        )
    return {"assigned": assigned, "on_behalf": on_behalf, "queued": queued}


def _row(html: str, reference: str) -> str:
    match = re.search(rf'<tr data-testid="task-{reference}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {reference}"
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_each_kind_of_row(bobs_tasks, client_a):
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get("/inbox/").content.decode()
    assigned = bobs_tasks["assigned"].reference
    task_id = pending(bobs_tasks["assigned"])[0].pk
    bobs_tasks["assigned"].refresh_from_db()
    version = bobs_tasks["assigned"].updated_at.isoformat()
    assert _row(html, assigned) == (
        f'<td class="pick"><input type="checkbox" name="task" value="{task_id}" form="bulk-form" '
        f'aria-label="Select {assigned}" data-testid="pick-{assigned}">'
        f'<input type="hidden" name="version-{task_id}" value="{version}" form="bulk-form"></td> '
        f'<td data-label="Request"><a href="/requests/{assigned}/">{assigned}</a><br>'
        '<span class="muted">Capital purchase · Director review</span> '
        '<span class="badge badge-overdue">Expedited</span></td> '
        '<td data-label="Summary" data-testid="summary">CT scanner upgrade · Acme Medical</td> '
        '<td data-label="Amount" class="num" data-testid="amount">$5,000.00</td> '
        '<td data-label="Department">Radiology</td> '
        '<td data-label="Requester" data-testid="requester">Carol Requester</td> '
        '<td data-label="Age">0 min</td> '
        '<td data-label="Due">4 Mar 2030, 05:06 UTC '
        '<span class="sla sla-ok" data-testid="sla">On track</span></td> '
        '<td data-label="Assigned">You</td>'
    )
    on_behalf = _row(html, bobs_tasks["on_behalf"].reference)
    assert "Expedited" not in on_behalf
    assert '<td data-label="Due"><span class="muted">no clock</span></td>' in on_behalf
    assert on_behalf.endswith('<td data-label="Assigned">You (for Victor Vice-President)</td>')
    queued = _row(html, bobs_tasks["queued"].reference)
    director = Role.objects.get(key="director").name
    assert queued.endswith(f'<td data-label="Assigned">{director} queue</td>')


def test_htmx_filter_answers_only_the_rows(bobs_tasks, client_a):
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get("/inbox/?urgency=expedited", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert re.findall(r'data-testid="task-([^"]+)"', html) == [bobs_tasks["assigned"].reference]


def _queries(client, path, **headers):
    client.get(path, **headers)  # warm up: session and per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, **headers).status_code == 200
    return [query["sql"] for query in captured]


def test_rows_of_every_kind_add_no_queries(tenant_a, client_a, carol, bobs_tasks):
    sign_in(client_a, "bob@alpha.test")
    few = _queries(client_a, "/inbox/")
    with tenant_context(tenant_a):
        for _ in range(5):
            submit_capital(carol)
    many = _queries(client_a, "/inbox/")
    assert len(many) == len(few) <= 12
    assert len(_queries(client_a, "/inbox/?urgency=expedited", HTTP_HX_REQUEST="true")) <= 12


def test_a_page_cut_from_both_parts_is_the_head_of_the_whole_inbox(tenant_a, carol, bob):
    """`first` merges the head of "mine" and of "my queues" in Python; it must agree with the
    database's order (due soonest first, no due time last, then oldest, then id)."""
    from apps.approvals.selectors import inbox_for

    same_due = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    dues = [None, same_due, datetime(2029, 12, 31, tzinfo=UTC), same_due, None, same_due]
    with tenant_context(tenant_a):
        director = Role.objects.get(key="director")
        for number, due_at in enumerate(dues):
            (task,) = pending(submit_capital(carol, "5000"))
            queued = {"assignee": None, "queue_role": director} if number % 2 else {}
            Task.objects.filter(pk=task.pk).update(due_at=due_at, **queued)
        whole = [task.pk for task in inbox_for(bob)]
        assert len(whole) >= len(dues)
        for first in range(1, len(whole) + 1):
            assert [task.pk for task in inbox_for(bob, first=first)] == whole[:first]
