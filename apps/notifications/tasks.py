"""Celery tasks of the notifications app: thin, load by id, call a service, safe to run twice."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

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


def _each_tenant(task) -> int:  # type: ignore[no-untyped-def]
    count = 0
    for tenant in get_tenant_model().objects.exclude(schema_name="public"):
        if getattr(tenant, "status", "active") != "active":
            continue
        with tenant_context(tenant):
            task.delay()  # carries the tenant's schema
        count += 1
    return count


@shared_task(name="notifications.digest_all_tenants")
def digest_all_tenants() -> int:
    """Beat entry: one digest task per active tenant, each running in its own schema."""
    return _each_tenant(send_digest)


@shared_task(name="notifications.requeue_stale_all_tenants")
def requeue_stale_all_tenants() -> int:
    return _each_tenant(requeue_stale_emails)
