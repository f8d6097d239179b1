"""CMS-0057-F prior-authorization metrics for one calendar year (45 CFR 156.223 / 42 CFR
422.122 public reporting). Counted over prior-authorization requests (workflow category
``prior_auth``) whose determination (``completed_at``) fell in the year, in the tenant's time zone.

Counting settings (`CmsSettings`): ``count_partial_as_approved`` (default False: partially
approved requests are reported in their own column and are in the denominator, not the
approved numerator). Withdrawn and cancelled requests are not determinations and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from apps.approvals.choices import RequestStatus, Urgency
from apps.approvals.models import ApprovalRequest
from apps.insights.aggregates import Median, Seconds
from apps.insights.selectors import DECIDED, HOUR, _aware, _rate, approved_after_appeal
from apps.sla.models import SlaEvent, SlaEventKind
from apps.workflows.models import WorkflowDefinition

CATEGORY = "prior_auth"
CODE_TYPES = {"cpt", "hcpcs", "cpt_hcpcs"}


@dataclass(frozen=True)
class CmsSettings:
    count_partial_as_approved: bool = False


def _year_requests(year: int) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(
        workflow_version__definition__category=CATEGORY,
        status__in=DECIDED,
        completed_at__gte=_aware(date(year, 1, 1)),
        completed_at__lt=_aware(date(year + 1, 1, 1)),
    )


def cms_report(*, year: int, settings: CmsSettings | None = None) -> dict[str, Any]:
    settings = settings or CmsSettings()
    extended = SlaEvent.objects.filter(clock__request=OuterRef("pk"), kind=SlaEventKind.EXTENDED)
    base = _year_requests(year)
    qs = base.annotate(seconds=Seconds("completed_at", "submitted_at"))
    approved_statuses = [RequestStatus.APPROVED]
    if settings.count_partial_as_approved:
        approved_statuses.append(RequestStatus.PARTIALLY_APPROVED)
    approved = Q(status__in=approved_statuses)
    sections = {}
    for urgency in (Urgency.STANDARD, Urgency.EXPEDITED):
        r = qs.filter(urgency=urgency).aggregate(
            total=Count("pk"),
            approved=Count("pk", filter=approved),
            partial=Count("pk", filter=Q(status=RequestStatus.PARTIALLY_APPROVED)),
            denied=Count("pk", filter=Q(status=RequestStatus.DENIED)),
            avg_seconds=Avg("seconds"),
            median_seconds=Median("seconds"),
        )
        n = r["total"]
        # EXISTS in WHERE (semi-joins), not per-row subplans in the aggregate.
        approved_here = base.filter(approved, urgency=urgency)
        denied_here = base.filter(
            urgency=urgency, status__in=(RequestStatus.DENIED, RequestStatus.PARTIALLY_APPROVED)
        )
        r["approved_after_appeal"] = approved_after_appeal(denied_here).count()
        r["extended_then_approved"] = approved_here.filter(Exists(extended)).count()
        sections[urgency.value] = {
            "total": n,
            "approved": r["approved"],
            "partially_approved": r["partial"],
            "denied": r["denied"],
            "approved_after_appeal": r["approved_after_appeal"],
            "extended_then_approved": r["extended_then_approved"],
            "approved_pct": _rate(r["approved"], n),
            "partially_approved_pct": (
                None if settings.count_partial_as_approved else _rate(r["partial"], n)
            ),
            "denied_pct": _rate(r["denied"], n),
            "approved_after_appeal_pct": _rate(r["approved_after_appeal"], n),
            "extended_then_approved_pct": _rate(r["extended_then_approved"], n),
            "avg_hours_to_decision": _round_hours(r["avg_seconds"]),
            "median_hours_to_decision": _round_hours(r["median_seconds"]),
        }
    return {
        "year": year,
        "settings": settings,
        "standard": sections["standard"],
        "expedited": sections["expedited"],
        "items": items_requiring_prior_auth(),
    }


def _round_hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


def _codes_in(condition: Any, code_fields: set[str]) -> set[str]:
    """CPT/HCPCS codes named by a structured condition (`in`/`==` on a code field)."""
    found: set[str] = set()
    if isinstance(condition, dict):
        if condition.get("field") in code_fields and condition.get("op") in {"in", "=="}:
            value = condition.get("value")
            found.update(str(v) for v in (value if isinstance(value, list) else [value]))
        for key in ("all", "any"):
            for part in condition.get(key, []) or []:
                found |= _codes_in(part, code_fields)
        if "not" in condition:
            pass  # codes under "not" are exclusions, not items requiring authorization
    return found


def items_requiring_prior_auth() -> list[dict[str, Any]]:
    """What the tenant's published prior-authorization workflows require authorization for.

    Derived from each spec: the code-typed form fields (every code entered there needs the
    workflow), any fixed `choices` of those fields, and the codes that step conditions name
    (e.g. codes sent to medical director review). CPT descriptors are licensed: codes only.
    """
    items = []
    definitions = WorkflowDefinition.objects.filter(
        category=CATEGORY, current_version__isnull=False
    ).select_related("current_version")
    for definition in definitions:
        spec = definition.current_version.spec  # type: ignore[union-attr]  # filtered on current_version
        fields = spec.get("form", {}).get("fields", [])
        code_fields = {f["name"]: f for f in fields if f.get("type") in CODE_TYPES}
        for name, f in code_fields.items():
            items.append(
                {
                    "workflow": definition.name,
                    "item": f.get("label", name),
                    "codes": ", ".join(map(str, f.get("choices", []))) or "any code entered",
                    "source": f"form field “{f.get('label', name)}”",
                }
            )
        for stage in spec.get("stages", []):
            for step in stage.get("steps", []):
                codes = _codes_in(step.get("when"), set(code_fields))
                if codes:
                    items.append(
                        {
                            "workflow": definition.name,
                            "item": f"codes routed to {step.get('name', step.get('key'))}",
                            "codes": ", ".join(sorted(codes)),
                            "source": f"condition of step “{step.get('name', step.get('key'))}”",
                        }
                    )
    return items


CSV_ROWS = (
    ("total", "Determinations"),
    ("approved_pct", "% approved"),
    ("partially_approved_pct", "% partially approved"),
    ("denied_pct", "% denied"),
    ("approved_after_appeal_pct", "% approved after appeal"),
    ("extended_then_approved_pct", "% timeframe extended, then approved"),
    ("avg_hours_to_decision", "Average hours from submission to decision"),
    ("median_hours_to_decision", "Median hours from submission to decision"),
)
