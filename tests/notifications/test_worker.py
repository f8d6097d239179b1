"""A real Celery worker sends the email after the state change commits and logs it as sent."""

import time

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from tests.approvals.helpers import submit_capital
from tests.fixtures.celery_worker import wait_for
from tests.integrations.cleanup import committed_requests_delete


@pytest.mark.slow
def test_worker_sends_after_commit_and_logs_it(django_db_setup, celery_worker, open_db):
    from apps.accounts.models import User
    from apps.notifications.models import ActionToken, EmailLog
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        carol = User.objects.get(email="carol@alpha.test")
        with transaction.atomic():
            request = submit_capital(carol)
            log = EmailLog.objects.get(request=request, to="bob@alpha.test")
            # Had the task been sent before commit, the worker would find no row and the email
            # would never go: give it the time to try.
            time.sleep(1.5)
            assert (log.status, log.attempts) == ("queued", 0)

        def sent():
            with tenant_context(tenant):
                log.refresh_from_db()
                return log.status == "sent"

        try:
            assert wait_for(sent, timeout=60)
            assert log.attempts == 1
            assert log.sent_at is not None
            # The worker minted bob's action link in tenant A's schema.
            assert ActionToken.objects.filter(
                task__request=request, approver__email="bob@alpha.test"
            ).exists()
        finally:  # committed: a reused test database must not see it in later tests
            committed_requests_delete(tenant, {"requests": [request.pk], "endpoints": []})


def test_send_email_task_retries_transient_errors_with_backoff(db):
    """(Also makes a run of this module alone set up the test database.)"""
    import smtplib

    from apps.notifications.tasks import send_email

    assert smtplib.SMTPException in send_email.autoretry_for
    assert ConnectionRefusedError.__mro__[2] in send_email.autoretry_for  # OSError
    assert send_email.retry_backoff
    assert send_email.max_retries >= 3
