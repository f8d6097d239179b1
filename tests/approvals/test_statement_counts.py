"""Statements per decision, pinned: a decision through the API, the web form and an emailed
link, request creation and the whole create-submit-decide cycle. Each number is what the
current code issues (bench/decision_cycle.py lists them by kind; docs/benchmarks.md has the
history); a change that adds a statement to these paths fails here. Lower them when you cut."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.approvals.models import Decision, Task
from apps.approvals.services import DecisionInput, task_decide
from tests.api.conftest import ApiClient, key_for
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.notifications.fixtures import eager_celery, smtp_server  # noqa: F401
from tests.notifications.helpers import action_token_in

# In tests every transaction is a savepoint (SAVEPOINT … RELEASE instead of BEGIN … COMMIT):
# the same number of statements.
API_DECISION = 27  # with an Idempotency-Key; 45 before the cuts of 2026-12-07, 29 before 12-08
WEB_DECISION = 26  # 39 before, 28 before 2026-12-08
EMAIL_LINK_DECISION = 35  # 36 before 2026-12-08
REQUEST_CREATION = 43  # 47 before 2026-12-08
CYCLE = 66  # create + submit + decide one step; 72 before 2026-12-08, 79 + savepoints before


def _statements(operation) -> int:
    with CaptureQueriesContext(connection) as captured:
        operation()
    return len(captured)


def _completing_tasks(tenant, requester, n: int) -> list[Task]:
    """Capital purchases under the director's limit: one approval completes each."""
    with tenant_context(tenant):
        return [pending(submit_capital(requester, "9000"))[0] for _ in range(n)]


def _decided(tenant, task: Task) -> bool:
    with tenant_context(tenant):
        return Decision.objects.filter(task=task).count() == 1


def test_an_api_decision(tenant_a, carol, bob):
    api = ApiClient("alpha.localhost", key_for(tenant_a, bob))
    warm, task = _completing_tasks(tenant_a, carol, 2)
    api.post(f"/api/v1/tasks/{warm.pk}/decide", {"decision": "approve"})  # per-process caches

    def decide():
        response = api.post(
            f"/api/v1/tasks/{task.pk}/decide", {"decision": "approve"}, **{"Idempotency-Key": "k1"}
        )
        assert response.status_code == 200, response.content

    assert (n := _statements(decide)) <= API_DECISION, n
    assert _decided(tenant_a, task)


def test_a_web_form_decision(tenant_a, client_a, carol, bob):
    sign_in(client_a, "bob@alpha.test")
    warm, task = _completing_tasks(tenant_a, carol, 2)
    with tenant_context(tenant_a):
        paths = [f"/requests/{t.request.reference}/tasks/{t.pk}/decide" for t in (warm, task)]
    client_a.post(paths[0], {"decision": "approve"})

    def decide():
        response = client_a.post(paths[1], {"decision": "approve"})
        assert response.status_code in (200, 302)

    assert (n := _statements(decide)) <= WEB_DECISION, n
    assert _decided(tenant_a, task)


@pytest.mark.usefixtures("eager_celery")
def test_an_emailed_link_decision(
    tenant_a,
    carol,
    bob,
    smtp_server,  # noqa: F811  # the fixture imported above
    django_capture_on_commit_callbacks,
):
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        warm = pending(submit_capital(carol, "9000"))[0]
        task = pending(submit_capital(carol, "9000"))[0]
    tokens = [action_token_in(m) for m in smtp_server.to("bob@alpha.test")]
    assert len(tokens) == 2
    client = Client(HTTP_HOST="alpha.localhost")
    client.post(f"/a/{tokens[0]}", {"task": warm.pk, "decision": "approve"})

    def decide():
        response = client.post(f"/a/{tokens[1]}", {"task": task.pk, "decision": "approve"})
        assert response.status_code == 200, response.content[:300]

    assert (n := _statements(decide)) <= EMAIL_LINK_DECISION, n
    assert _decided(tenant_a, task)


def test_request_creation_and_the_whole_cycle(tenant_a, carol, bob):
    with tenant_context(tenant_a):
        (warm,) = pending(submit_capital(carol, "9000"))  # warm-up: per-process caches
        task_decide(actor=bob, task=warm, decision=DecisionInput("approve"))
        assert (n := _statements(lambda: submit_capital(carol, "9000"))) <= REQUEST_CREATION, n

        def cycle():
            (task,) = pending(submit_capital(carol, "9000"))
            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))

        assert (n := _statements(cycle)) <= CYCLE, n
