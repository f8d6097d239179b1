"""Removing what an end-to-end test committed: its requests, their events and deliveries, and
its webhook endpoints (`made` = {"requests": [ids], "endpoints": [ids]})."""

from django.db import connection
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest, Decision
from apps.integrations.models import OutboxEvent, WebhookDelivery, WebhookEndpoint


def committed_requests_delete(tenant: object, made: dict[str, list[int]]) -> None:
    with tenant_context(tenant):
        events = OutboxEvent.objects.filter(request_id__in=made["requests"])
        WebhookDelivery.objects.filter(event__in=events).delete()
        WebhookEndpoint.objects.filter(pk__in=made["endpoints"]).delete()
        events.delete()
        Decision.objects.filter(request_id__in=made["requests"]).delete()
        made_requests = ApprovalRequest.objects.filter(pk__in=made["requests"])
        made_requests.filter(appeal_of__isnull=False).delete()  # appeals protect what they appeal
        made_requests.delete()
    connection.set_schema_to_public()
