"""Thin Celery tasks of the assist app (run in the tenant's schema via tenant-schemas-celery)."""

from celery import shared_task

from apps.core.tasks import each_active_tenant


@shared_task(name="assist.risk_retrain", ignore_result=True)
def risk_retrain() -> None:
    """Retrain the tenant's denial-risk model; does nothing below the history threshold."""
    from apps.assist.risk import risk_model_train

    risk_model_train()


@shared_task(name="assist.risk_retrain_all_tenants", ignore_result=True)
def risk_retrain_all_tenants() -> int:
    """Beat entry (nightly): one retrain per active tenant, each in its own schema."""
    return each_active_tenant(risk_retrain)


@shared_task(name="assist.attachment_extract", ignore_result=True)
def attachment_extract(attachment_id: int) -> int:
    """Text of every page of one attachment (text layer or OCR) stored as DocumentPage rows."""
    from apps.assist.documents import attachment_pages_store

    return attachment_pages_store(attachment_id)
