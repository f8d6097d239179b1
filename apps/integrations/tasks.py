"""Thin Celery tasks for the outbox and webhooks: load by id, call a service, safe to re-run.
Tenant tasks are sent inside the tenant's context and run in its schema."""

from celery import shared_task


@shared_task(name="integrations.outbox_dispatch", ignore_result=True)
def outbox_dispatch(event_ids: list[str]) -> int:
    from apps.integrations.outbox import dispatch_events

    return dispatch_events(event_ids)


@shared_task(name="integrations.webhook_deliver", ignore_result=True)
def webhook_deliver(delivery_id: str) -> str | None:
    from apps.integrations.webhooks.delivery import deliver

    delivery = deliver(delivery_id)
    return delivery.state if delivery else None


@shared_task(name="integrations.outbox_sweep", ignore_result=True)
def outbox_sweep() -> dict[str, dict[str, int]]:
    """Beat, in the public schema: re-enqueue what the after-commit path did not deliver."""
    from apps.integrations.outbox import sweep_all

    return sweep_all()
