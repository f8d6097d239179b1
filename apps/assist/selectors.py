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


def feedback_of(actor: Any, recommendation_ids: list[int]) -> dict[tuple[int, str], bool]:
    """What this reviewer already said, by (recommendation id, item)."""
    from apps.assist.models import AssistFeedback

    rows = AssistFeedback.objects.filter(actor=actor, recommendation_id__in=recommendation_ids)
    return {(r.recommendation_id, r.item): r.helpful for r in rows}


def agreement_over_time() -> list[dict[str, Any]]:
    """Reviewer agreement by month and kind of output, from "helpful / not helpful"."""
    from django.db.models.functions import TruncMonth

    from apps.assist.models import AssistFeedback

    rows = (
        AssistFeedback.objects.annotate(month=TruncMonth("updated_at"))
        .values("month", "recommendation__kind")
        .annotate(marked=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
        .order_by("month", "recommendation__kind")
    )
    return [
        {
            "month": r["month"].date().isoformat()[:7],
            "kind": r["recommendation__kind"],
            "marked": r["marked"],
            "helpful": r["helpful"],
            "rate": round(100.0 * r["helpful"] / r["marked"], 1),
        }
        for r in rows
    ]
