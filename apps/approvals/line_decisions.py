"""Per-line decisions on requests with several lines, inside `services.task_decide`.

The approver decides each line (approved, reduced to a quantity, denied with a reason code);
the task's decision follows from them (engine.lines.overall): every line denied -> "reject",
every line approved in full -> "approve", anything else -> a partial "approve" (the request
ends "partially_approved"). The engine's checks still apply, and its authority check uses the
approved total. Documented in docs/api.md ("Per-line decisions").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from apps.approvals.exceptions import InvalidInput
from apps.approvals.models import ApprovalRequest, Decision, LineDecision, ReasonCode
from apps.workflows import engine
from apps.workflows.engine.lines import overall, summary
from apps.workflows.selectors import spec_of


class LineErrorCode(StrEnum):
    NOT_APPLICABLE = "lines_not_applicable"
    UNKNOWN = "line_unknown"
    REPEATED = "line_repeated"
    MISSING = "line_missing"
    OUTCOME_INVALID = "line_outcome_invalid"
    QUANTITY_INVALID = "line_quantity_invalid"
    QUANTITY_ABOVE_REQUESTED = "line_quantity_above_requested"
    QUANTITY_UNEXPECTED = "line_quantity_unexpected"
    REASON_REQUIRED = "line_reason_required"
    REASON_UNKNOWN = "line_reason_unknown"
    DECISION_MISMATCH = "lines_decision_mismatch"


@dataclass(frozen=True)
class PreparedLines:
    """The checked line decisions and what they make of the task's decision."""

    decision: str  # "approve" | "reject"
    partial: bool
    reason: ReasonCode | None  # a denial's reason: the first denied line's
    comment: str
    approved_amount: Decimal | None
    lines: tuple[engine.Line, ...]
    decisions: tuple[engine.LineDecision, ...]
    reasons: dict[str, ReasonCode]


def request_lines(approval: ApprovalRequest) -> tuple[engine.Line, ...]:
    """The request's lines (empty for a request without a line-items answer)."""
    return engine.lines_of(spec_of(approval.workflow_version), approval.data)


def prepare(
    approval: ApprovalRequest,
    decisions: Sequence[engine.LineDecision],
    *,
    decision: str,
    comment: str,
) -> PreparedLines:
    """Check `decisions` against the request's lines (under the request's lock) or raise
    InvalidInput whose code is the first problem's and whose fields name each line
    (`lines.<position>`)."""
    lines = request_lines(approval)
    problems = engine.check_line_decisions(lines, decisions)
    wanted = {d.reason_code for d in decisions if d.outcome == "denied" and d.reason_code}
    reasons = {r.code: r for r in ReasonCode.objects.filter(code__in=wanted, is_active=True)}
    for index, item in enumerate(decisions):
        if item.outcome == "denied" and item.reason_code and item.reason_code not in reasons:
            problems.append(
                engine.LineProblem(
                    LineErrorCode.REASON_UNKNOWN,
                    f'"{item.reason_code}" is not a reason code here.',
                    index,
                )
            )
    if problems:
        fields: dict[str, list[str]] = {}
        for problem in problems:
            key = "lines" if problem.index is None else f"lines.{problem.index}"
            fields.setdefault(key, []).append(problem.message)
        first = problems[0]
        raise InvalidInput(first.message, code=first.code, fields=fields)
    derived, partial = overall(decisions)
    if decision and decision != derived:
        raise InvalidInput(
            f'The lines make this decision "{derived}", not "{decision}"; leave out '
            '"decision" or match it.',
            code=LineErrorCode.DECISION_MISMATCH,
            field="decision",
        )
    denied = [d for d in decisions if d.outcome == "denied"]
    reason = reasons[denied[0].reason_code or ""] if denied else None
    notes = [f"Line {d.line}: {d.note.strip()}" for d in denied if d.note.strip()]
    text = comment.strip() or ("\n".join(notes) if derived == "reject" else "")
    if derived == "reject" and not text:
        raise InvalidInput(
            "Explain the denial to the requester.",
            fields={"comment": ["Explain the denial to the requester."]},
        )
    total = (
        engine.approved_total(lines, decisions, approval.amount)
        if approval.amount is not None
        else None
    )
    return PreparedLines(
        decision=derived,
        partial=partial,
        reason=reason,
        comment=text if derived == "reject" else comment,
        approved_amount=total,
        lines=lines,
        decisions=tuple(decisions),
        reasons=reasons,
    )


def store(decision: Decision, prepared: PreparedLines) -> list[LineDecision]:
    by_number = {line.number: line for line in prepared.lines}
    rows = [
        LineDecision(
            decision=decision,
            line=item.line,
            outcome=item.outcome,
            requested_quantity=by_number[item.line].quantity,
            approved_quantity=engine.approved_quantity(by_number[item.line], item),
            reason_code=prepared.reasons.get(item.reason_code or "")
            if item.outcome == "denied"
            else None,
            note=item.note.strip(),
        )
        for item in sorted(prepared.decisions, key=lambda d: d.line)
    ]
    for row in rows:
        row.save()  # one by one: each row's audit entry (bulk_create sends no signals)
    return rows


def sentence(prepared: PreparedLines) -> str:
    """The timeline's line-by-line account; line numbers and reason labels only (a line's
    code or description may be PHI)."""
    by_number = {line.number: line for line in prepared.lines}
    parts = []
    for item in sorted(prepared.decisions, key=lambda d: d.line):
        line = by_number[item.line]
        if item.outcome == "approved":
            parts.append(f"line {item.line} approved")
        elif item.outcome == "reduced":
            parts.append(f"line {item.line} approved {item.quantity} of {line.quantity}")
        else:
            reason = prepared.reasons.get(item.reason_code or "")
            parts.append(f"line {item.line} denied ({reason.label if reason else 'no reason'})")
    text = "; ".join(parts)
    return f"{summary(prepared.decisions).capitalize()}: {text}."


def line_label(line: engine.Line, hidden: Collection[str], field: str | None) -> str:
    """A line as the reader may see it: its number only when the lines' field is hidden from
    them (minimum necessary: a line's code or description may be PHI)."""
    if field is not None and field in hidden:
        return f"Line {line.number}"
    return f"{line.number}. {line.label}"


def outcomes_for(approval: ApprovalRequest, hidden: Collection[str]) -> list[dict[str, Any]]:
    """Each per-line decision taken on the request, in order (request page and packet)."""
    rows = list(
        LineDecision.objects.filter(decision__request=approval)
        .select_related("reason_code", "decision__actor", "decision__task")
        .order_by("decision__decided_at", "line")
    )
    if not rows:
        return []
    lines = {line.number: line for line in request_lines(approval)}
    field = engine.lines_field(spec_of(approval.workflow_version))
    return [
        {
            "decision_id": row.decision_id,
            "label": line_label(lines[row.line], hidden, field)
            if row.line in lines
            else f"Line {row.line}",
            "outcome": row.outcome,
            "outcome_text": row.get_outcome_display(),
            "requested": row.requested_quantity,
            "approved": row.approved_quantity,
            "reason": row.reason_code.label if row.reason_code else "",
            "note": row.note,
            "step": row.decision.task.step_name,
            "actor": row.decision.actor.full_name,
        }
        for row in rows
    ]
