"""50 people press "approve" on the same task at the same moment: one decision is recorded."""

import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.exceptions import Conflict
from apps.approvals.models import ApprovalRequest, Decision
from apps.approvals.services import DecisionInput, task_decide
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital

THREADS = 50


@pytest.mark.slow
def test_fifty_concurrent_decisions_record_exactly_one(open_db):
    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        request = submit_capital(carol, "9000")  # committed: autocommit outside a test transaction
        (task,) = pending(request)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide() -> None:
        try:
            with tenant_context(tenant):
                start.wait()
                try:
                    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
                    result = "decided"
                except Conflict:
                    result = "conflict"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()  # each thread has its own real connection

    threads = [threading.Thread(target=decide) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        with tenant_context(tenant):
            assert sorted(set(outcomes)) == ["conflict", "decided"]
            assert outcomes.count("decided") == 1
            assert outcomes.count("conflict") == THREADS - 1
            assert Decision.objects.filter(task_id=task.pk).count() == 1
            request.refresh_from_db()
            assert request.status == "approved"
    finally:
        with tenant_context(tenant):
            Decision.objects.filter(request_id=request.pk).delete()
            ApprovalRequest.objects.filter(pk=request.pk).delete()
        connection.set_schema_to_public()
