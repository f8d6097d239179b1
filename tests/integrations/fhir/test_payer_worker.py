"""A real Celery worker submits a prior authorization to the fake payer and is killed before the
payer's answer comes back; a new worker, sent by the sweep, submits again with the same
idempotency key and the payer's (deduplicated) answer decides the step exactly once."""

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Decision, TimelineEntry
from apps.approvals.services import DecisionInput, request_create, task_decide
from apps.integrations.payers.models import Payer, PayerSubmission
from apps.integrations.payers.services import payer_save, submissions_resume
from apps.tenants.models import Tenant
from apps.workflows.models import WorkflowDefinition
from tests.fixtures.celery_worker import WorkerProcess, wait_for
from tests.integrations.fhir.conftest import PA_DATA, TOKEN


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """Committed data, no test transaction: the worker process must see the rows (see the ERP
    worker test for why this is named `db`)."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.slow
def test_killed_worker_mid_submission_decides_the_payer_step_once(db, fake_payer, celery_worker):
    tenant = Tenant.objects.get(slug="alpha")
    fake_payer.hang_next(1)  # records the claim and its answer, then holds the reply
    approval = None
    second: WorkerProcess | None = None
    try:
        with tenant_context(tenant):
            alice = User.objects.get(email="alice@alpha.test")
            payer_save(
                actor=alice, name="Acme Health", base_url=fake_payer.url, credential=TOKEN,
                timeout_seconds=30,
            )  # fmt: skip
            carol = User.objects.get(email="carol@alpha.test")
            bob = User.objects.get(email="bob@alpha.test")
            workflow = WorkflowDefinition.objects.get(key="prior-auth-submit")
            approval = request_create(actor=carol, workflow=workflow, data=PA_DATA)
            (task,) = approval.tasks.filter(status="pending")
            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
            submission = PayerSubmission.objects.get(request=approval)

        wait_for(fake_payer.hanging.is_set, timeout=60)  # the worker is mid-submission
        celery_worker.stop(kill=True)
        fake_payer.release.set()

        with tenant_context(tenant):
            submission.refresh_from_db()
            assert (submission.status, submission.attempts) == ("queued", 0)  # no trace left

        second = WorkerProcess(celery_worker.db_name, celery_worker.queue)
        second.start()
        with tenant_context(tenant):
            assert submissions_resume(stale_after=timedelta(0)) == [submission.pk]
            submissions_resume(stale_after=timedelta(0))  # twice: harmless

            def decided():
                approval.refresh_from_db()
                return approval.status == "approved"

            wait_for(decided, timeout=60)
            submission.refresh_from_db()
            assert (submission.status, submission.attempts) == ("decided", 1)
            assert len(fake_payer.answers_by_key) == 1  # one claim at the payer
            assert {c.key for c in fake_payer.calls_to("$submit")} == {submission.idempotency_key}
            approved = TimelineEntry.objects.filter(request=approval, kind="payer_decision")
            assert approved.count() == 1
    finally:
        if second is not None:
            second.stop()
        with tenant_context(tenant):
            if approval is not None:
                PayerSubmission.objects.filter(request_id=approval.pk).delete()
                Decision.objects.filter(request_id=approval.pk).delete()
                ApprovalRequest.objects.filter(pk=approval.pk).delete()
            Payer.objects.filter(name="Acme Health").delete()
        connection.set_schema_to_public()
