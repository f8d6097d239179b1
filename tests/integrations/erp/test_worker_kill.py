"""A real Celery worker is killed while posting a requisition; the task runs again on a new
worker and the ERP still holds exactly one requisition, the posting succeeded once."""

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Decision, TimelineEntry
from apps.approvals.services import DecisionInput, task_decide
from apps.integrations.erp.choices import PostingStatus
from apps.integrations.erp.models import ErpConnection, ErpPosting
from apps.integrations.erp.services import erp_connection_save, postings_resume
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.fixtures.celery_worker import WorkerProcess, wait_for
from tests.integrations.erp.conftest import TOKEN


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """Committed data, no test transaction: the worker process must see the rows. Named `db`
    (overriding pytest-django's in this module) so that pytest-django still creates the test
    database when this test runs alone; an unmarked test would otherwise reach the dev one."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.slow
def test_killed_worker_mid_delivery_posts_exactly_one_requisition(db, fake_erp, celery_worker):
    tenant = Tenant.objects.get(slug="alpha")
    fake_erp.hang_next(1, seconds=60)  # records the requisition, then holds the answer
    request = None
    second: WorkerProcess | None = None
    try:
        with tenant_context(tenant):
            erp_connection_save(
                actor=None, name="Fake ERP", base_url=fake_erp.url, auth_token=TOKEN,
                timeout_seconds=30,
            )  # fmt: skip
            carol = User.objects.get(email="carol@alpha.test")
            bob = User.objects.get(email="bob@alpha.test")
            request = submit_capital(carol, "9000")  # committed: autocommit outside a test txn
            (task,) = pending(request)
            task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
            # after commit the delivery task went to the worker's queue
            posting = ErpPosting.objects.get(request=request)

        wait_for(fake_erp.hanging.is_set, timeout=60)  # the worker is mid-delivery
        assert fake_erp.requisition_count() == 1
        celery_worker.stop(kill=True)
        fake_erp.release.set()

        with tenant_context(tenant):
            posting.refresh_from_db()
            assert posting.status == PostingStatus.PENDING  # the killed attempt left no trace

        second = WorkerProcess(celery_worker.db_name, celery_worker.queue)
        second.start()
        with tenant_context(tenant):
            # The sweep finds the stalled posting and sends it again (twice, to show that two
            # deliveries of the same task are harmless).
            assert postings_resume(stale_after=timedelta(0)) == [posting.pk]
            postings_resume(stale_after=timedelta(0))

            def succeeded():
                posting.refresh_from_db()
                return posting.status == PostingStatus.SUCCEEDED

            wait_for(succeeded, timeout=60)
            wait_for(lambda: len(fake_erp.calls("/requisitions")) >= 2, timeout=10)
            assert fake_erp.requisition_count() == 1
            assert posting.external_id == "REQ-000001"
            assert posting.attempts == 1
            posted = TimelineEntry.objects.filter(
                request=request, summary__startswith="Purchase requisition REQ-000001 posted"
            )
            assert posted.count() == 1
    finally:
        if second is not None:
            second.stop()
        with tenant_context(tenant):
            if request is not None:
                ErpPosting.objects.filter(request_id=request.pk).delete()
                Decision.objects.filter(request_id=request.pk).delete()
                ApprovalRequest.objects.filter(pk=request.pk).delete()
            ErpConnection.objects.filter(name="Fake ERP").delete()
        connection.set_schema_to_public()
