"""Celery tasks of ERP sync: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.integrations.erp import services


@shared_task(name="erp.deliver_posting", acks_late=True)
def deliver_posting(posting_id: int) -> str:
    delivery = services.posting_deliver(posting_id=posting_id)
    if delivery.retry_in is not None:
        services.enqueue_delivery(posting_id, countdown=delivery.retry_in)
    return delivery.status


@shared_task(name="erp.resume_postings")
def resume_postings() -> int:
    """Per tenant: re-send postings whose delivery task was lost."""
    return len(services.postings_resume())


@shared_task(name="erp.resume_postings_all_tenants")
def resume_postings_all_tenants() -> int:
    """For beat (public schema): run `resume_postings` in every tenant that has ERP postings."""
    from django.conf import settings
    from django_tenants.utils import get_tenant_model

    from apps.core.postgres.clusters import tenant_activated

    count = 0
    skip = {"public", getattr(settings, "TENANT_BASE_SCHEMA", "")}
    for tenant in get_tenant_model().objects.exclude(schema_name__in=skip):
        with tenant_activated(tenant):
            resume_postings.delay()
            count += 1
    return count
