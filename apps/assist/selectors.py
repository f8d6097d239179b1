"""Reads of advisory records."""

from typing import Any

from django.db.models import Count, Q

from apps.assist.models import AssistSettings, Recommendation


def assist_settings() -> AssistSettings:
    return AssistSettings.objects.filter(pk=1).first() or AssistSettings(pk=1)


def agreement_rate() -> dict[str, Any]:
    """How often reviewers agreed with the recommendations they marked."""
    r = Recommendation.objects.filter(reviewer_agreed__isnull=False).aggregate(
        reviewed=Count("pk"), agreed=Count("pk", filter=Q(reviewer_agreed=True))
    )
    rate = round(100.0 * r["agreed"] / r["reviewed"], 1) if r["reviewed"] else None
    return {**r, "rate": rate}
