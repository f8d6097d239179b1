"""A real Celery worker and Redis: a due timer escalates a task; a worker killed after the claim
leaves the timer to another worker once the lease expires, and it still escalates exactly once."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Task
from apps.core.tasks import record_schema
from apps.sla.admin_settings import override_save
from apps.sla.models import Clock, SlaEvent, SlaOverride
from apps.tenants.models import Tenant
from apps.timers.models import Timer
from apps.timers.services import timers_claim_due, timers_sweep
from apps.timers.tasks import fire_timer
from tests.approvals.helpers import pending, submit_capital
from tests.fixtures.celery_worker import WorkerProcess, wait_for


def _overdue_request(carol):
    """A capital request whose director task's escalation timer is due now."""
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    clock = Clock.objects.get(task=task)
    Timer.objects.filter(object_kind="sla_clock", object_id=clock.pk, kind="escalation").update(
        fire_at=timezone.now() - timedelta(seconds=1)
    )
    return request, task, clock


def _reassigned(tenant, task):
    with tenant_context(tenant):
        return Task.objects.filter(
            request=task.request_id, status="pending", assignee__email="victor@alpha.test"
        ).exists()


def _drain(tenant):
    """Wait until the worker has processed everything sent so far (the solo pool runs in order)."""
    marker = uuid.uuid4().hex
    with tenant_context(tenant):
        record_schema.delay(marker)
        wait_for(lambda: cache.get(f"schema-probe:{marker}"))


@pytest.mark.slow
def test_due_timer_escalates_once_even_when_a_worker_dies_after_the_claim(
    django_db_setup, open_db, celery_worker
):
    tenant = Tenant.objects.get(slug="alpha")
    requests: list[ApprovalRequest] = []
    replacement: WorkerProcess | None = None
    try:
        with tenant_context(tenant):
            alice = User.objects.get(email="alice@alpha.test")
            carol = User.objects.get(email="carol@alpha.test")
            override_save(
                actor=alice, workflow_key="capital-purchase", step_key="director",
                urgency="standard", hours=8, calendar="business", reminders=[50, 80, 100],
                pause_on_needs_info=False, escalation_chain=["user:victor@alpha.test"],
                breach_action="reassign", escalation_interval_hours=24,
            )  # fmt: skip
            first, first_task, first_clock = _overdue_request(carol)
            requests.append(first)

        # 1. The beat sweep (run here) claims the due timer and a real worker escalates.
        assert timers_sweep() >= 1
        wait_for(lambda: _reassigned(tenant, first_task))
        with tenant_context(tenant):
            assert SlaEvent.objects.filter(clock=first_clock, kind="escalated").count() == 1

        # 2. A sweep claims a timer and its worker dies before anything fires.
        with tenant_context(tenant):
            second, second_task, second_clock = _overdue_request(carol)
            requests.append(second)
        claimed = [t for t in timers_claim_due() if t.object_id == second_clock.pk]
        assert [t.kind for t in claimed] == ["escalation"]
        celery_worker.stop(kill=True)
        assert timers_sweep() == 0  # leased: nobody else takes it yet
        Timer.objects.filter(pk=claimed[0].pk).update(
            claimed_until=timezone.now() - timedelta(seconds=1)
        )  # the lease expires
        replacement = WorkerProcess(connection.settings_dict["NAME"], celery_worker.queue)
        replacement.start()
        assert timers_sweep() == 1
        wait_for(lambda: _reassigned(tenant, second_task))

        # 3. A duplicate delivery of the same timer changes nothing.
        with tenant_context(tenant):
            fire_timer.delay(claimed[0].pk)
        _drain(tenant)
        with tenant_context(tenant):
            assert SlaEvent.objects.filter(clock=second_clock, kind="escalated").count() == 1
            assert (
                Task.objects.filter(request=second, assignee__email="victor@alpha.test").count()
                == 1
            )
            assert Timer.objects.get(pk=claimed[0].pk).fired_at is not None
    finally:
        if replacement is not None:
            replacement.stop()
        with tenant_context(tenant):
            clock_ids = list(
                Clock.objects.filter(request__in=requests).values_list("pk", flat=True)
            )
            Timer.objects.filter(object_kind="sla_clock", object_id__in=clock_ids).delete()
            ApprovalRequest.objects.filter(pk__in=[r.pk for r in requests]).delete()
            SlaOverride.objects.filter(workflow_key="capital-purchase").delete()
        connection.set_schema_to_public()
