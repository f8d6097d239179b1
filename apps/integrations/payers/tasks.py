"""Celery tasks of payer submission: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.integrations.payers import services
from apps.integrations.payers.choices import SubmissionStatus


@shared_task(name="payers.deliver_submission", acks_late=True)
def deliver_submission(submission_id: int) -> str:
    """Send (or follow up) one submission, then apply the payer's answer if it gave one."""
    delivery = services.submission_deliver(submission_id=submission_id)
    if delivery.status == SubmissionStatus.ANSWERED:
        return services.submission_answer_apply(submission_id=submission_id).status
    if delivery.retry_in is not None:
        services.enqueue_delivery(submission_id, countdown=delivery.retry_in)
    return delivery.status


@shared_task(name="payers.resume_submissions")
def resume_submissions() -> int:
    """Per tenant: lost sends, due retries, due inquiries of pended requests."""
    return len(services.submissions_resume())


@shared_task(name="payers.resume_submissions_all_tenants")
def resume_submissions_all_tenants() -> int:
    """For beat (public schema): run `resume_submissions` in every tenant."""
    from django.conf import settings
    from django_tenants.utils import get_tenant_model

    from apps.core.postgres.clusters import tenant_activated

    count = 0
    skip = {"public", getattr(settings, "TENANT_BASE_SCHEMA", "")}
    for tenant in get_tenant_model().objects.exclude(schema_name__in=skip):
        with tenant_activated(tenant):
            resume_submissions.delay()
            count += 1
    return count
