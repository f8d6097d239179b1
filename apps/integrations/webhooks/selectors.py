"""Reads about webhooks, for tenant administrators only (others see nothing)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from apps.accounts.models import User
from apps.integrations.models import DeliveryState, WebhookDelivery, WebhookEndpoint


def _is_admin(actor: User) -> bool:
    return bool(getattr(actor, "is_tenant_admin", False) and actor.is_active)


def webhook_endpoints_for(actor: User) -> QuerySet[WebhookEndpoint]:
    if not _is_admin(actor):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.annotate(
        delivery_count=Count("deliveries"),
        failing_count=Count(
            "deliveries", filter=Q(deliveries__state__in=[DeliveryState.FAILED, DeliveryState.DEAD])
        ),
    ).order_by("created_at", "id")


def webhook_deliveries_for(
    actor: User, *, endpoint: WebhookEndpoint | None = None
) -> QuerySet[WebhookDelivery]:
    if not _is_admin(actor):
        return WebhookDelivery.objects.none()
    deliveries = WebhookDelivery.objects.select_related("endpoint", "event")
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return deliveries.order_by("-created_at", "id")
