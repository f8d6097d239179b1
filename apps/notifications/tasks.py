"""Celery tasks of the notifications app: thin, load by id, call a service, safe to run twice."""

from celery import shared_task

from apps.core.tasks import each_active_tenant
from apps.notifications import services
from apps.notifications.services import TRANSIENT_ERRORS


@shared_task(
    bind=True,
    name="notifications.send_email",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
)
def send_email(self, email_log_id: int) -> None:  # type: ignore[no-untyped-def]
    services.email_deliver(
        email_log_id=email_log_id, final_attempt=self.request.retries >= self.max_retries
    )


@shared_task(name="notifications.send_digest")
def send_digest() -> int:
    """The daily digest of the tenant the task was sent from."""
    return services.digest_send()


@shared_task(name="notifications.requeue_stale_emails")
def requeue_stale_emails() -> int:
    return services.email_requeue_stale()


@shared_task(name="notifications.digest_all_tenants")
def digest_all_tenants() -> int:
    """Beat entry: one digest task per active tenant, each running in its own schema."""
    return each_active_tenant(send_digest)


@shared_task(name="notifications.requeue_stale_all_tenants")
def requeue_stale_all_tenants() -> int:
    return each_active_tenant(requeue_stale_emails)
