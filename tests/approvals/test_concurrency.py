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


@pytest.mark.slow
def test_concurrent_decisions_on_different_requests_keep_one_unbroken_audit_chain(open_db):
    """Each decision's audit entries join the tenant's chain together at the end of its
    transaction (audit_batch): decisions made at the same moment all land, every entry is in
    the chain exactly once, and the chain verifies."""
    from apps.audit.models import AuditEntry

    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        requests = [submit_capital(carol, "9000") for _ in range(8)]
        tasks = [pending(request)[0] for request in requests]
        before = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True)[0]
    start = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def decide(task) -> None:
        try:
            with tenant_context(tenant):
                start.wait()
                task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        _check_chain(tenant, requests, tasks, before, errors)
    finally:
        with tenant_context(tenant):
            Decision.objects.filter(request__in=requests).delete()
            ApprovalRequest.objects.filter(pk__in=[r.pk for r in requests]).delete()
        connection.set_schema_to_public()


def _check_chain(tenant, requests, tasks, before, errors) -> None:
    from apps.audit.models import AuditEntry
    from apps.audit.verify import chain_verify

    with tenant_context(tenant):
        assert errors == []
        assert Decision.objects.filter(task__in=tasks).count() == len(tasks)
        added = list(
            AuditEntry.objects.filter(sequence__gt=before)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        assert added == list(range(before + 1, before + 1 + len(added)))
        decided = AuditEntry.objects.filter(
            sequence__gt=before, request_reference__in=[r.reference for r in requests]
        )
        assert decided.filter(action="approvals.decision.create").count() == len(tasks)
        report = chain_verify()
        assert report.ok, report
