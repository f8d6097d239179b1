"""The numbers behind each dashboard chart: one entry per chart, shared by the page and CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.insights import selectors


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    rows: Callable[[selectors.Filters], list[dict[str, Any]]]
    label: str
    value: str
    unit: str = ""


def _rates(filters: selectors.Filters) -> list[dict[str, Any]]:
    return rate_rows(selectors.outcome_rates(filters))


def rate_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The rates chart's rows from `selectors.outcome_rates` (computed once per page)."""
    names = {
        "approval_rate": "Approval rate",
        "denial_rate": "Denial rate",
        "first_pass_rate": "First-pass approval rate",
        "touchless_rate": "Touchless rate",
        "exception_rate": "Exception rate",
        "approved_after_appeal_rate": "Approved after appeal",
    }
    return [{"metric": label, "percent": r[key]} for key, label in names.items()]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("rates", "Outcome rates (% of decided requests)", _rates, "metric", "percent", "%"),
        Dataset(
            "volume", "Volume by workflow and urgency", selectors.volume, "workflow", "submitted"
        ),
        Dataset(
            "cycle-workflow",
            "Cycle time by workflow (median hours)",
            selectors.cycle_time_by_workflow,
            "workflow",
            "median_hours",
            " h",
        ),
        Dataset(
            "cycle-urgency",
            "Cycle time by urgency (median hours)",
            selectors.cycle_time_by_urgency,
            "urgency",
            "median_hours",
            " h",
        ),
        Dataset(
            "cycle-step",
            "Bottleneck steps: median time a task is open (hours)",
            selectors.cycle_time_by_step,
            "step",
            "median_hours",
            " h",
        ),
        Dataset(
            "sla",
            "SLA adherence (% of clocks not breached)",
            selectors.sla_adherence,
            "scope",
            "adherence_pct",
            "%",
        ),
        Dataset(
            "breaches", "SLA breaches by step", selectors.breaches_by_step, "step_key", "breaches"
        ),
        Dataset(
            "ageing", "Queue ageing: open tasks by age", selectors.queue_ageing, "age", "open_tasks"
        ),
        Dataset("denials", "Denials by reason code", selectors.denial_reasons, "reason", "denials"),
        Dataset(
            "workload",
            "Approver workload (decisions)",
            selectors.approver_workload,
            "approver",
            "decisions",
        ),
    )
}
