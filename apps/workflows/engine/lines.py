"""Requests with several lines (a prior authorization for several CPT/HCPCS codes, a purchase
with several items) and the per-line decisions an approver takes on them.

A form holds its lines in a `line_items` field; each cleaned line is
`{"line": n, "code": "...", "description": "...", "quantity": q, "unit_price": "12.50" | None}`
(`line` is the line's number: 1, 2, ... or the PAS claim item's sequence).

An approver decides each line: approved (the requested quantity), reduced (a smaller quantity)
or denied (with a reason code). The task's decision follows from the lines (`overall`):
every line denied -> a denial; every line approved in full -> an approval; anything else ->
a partial approval. Authority limits apply to the approved total (`approved_total`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .spec import WorkflowSpec

LINE_OUTCOMES = ("approved", "reduced", "denied")
LINE_TYPE = "line_items"


@dataclass(frozen=True)
class Line:
    number: int
    code: str
    description: str
    quantity: int
    unit_price: Decimal | None

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.code, self.description) if p) or f"Line {self.number}"


@dataclass(frozen=True)
class LineDecision:
    line: int
    outcome: str  # one of LINE_OUTCOMES
    quantity: int | None = None  # the approved quantity of a reduced line
    reason_code: str | None = None  # a denied line's reason
    note: str = ""


@dataclass(frozen=True)
class LineProblem:
    """A per-line decision that cannot be taken: `code` is stable, `index` its position in
    the caller's list (None when about the list as a whole)."""

    code: str
    message: str
    index: int | None = None


def lines_field(spec: WorkflowSpec) -> str | None:
    """The name of the form's line-items field, if it has one."""
    return next((f.name for f in spec.fields if f.type == LINE_TYPE), None)


def lines_of(spec: WorkflowSpec, data: Mapping[str, object]) -> tuple[Line, ...]:
    """The request's lines as its (cleaned) answers hold them; () for a one-line request."""
    name = lines_field(spec)
    raw = data.get(name) if name else None
    if not isinstance(raw, list):
        return ()
    lines = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            continue
        number = item.get("line")
        quantity = item.get("quantity")
        price: Decimal | None = None
        with contextlib.suppress(InvalidOperation, TypeError, ValueError):
            price = Decimal(str(item["unit_price"])) if item.get("unit_price") else None
        lines.append(
            Line(
                number=number if isinstance(number, int) else position,
                code=str(item.get("code") or ""),
                description=str(item.get("description") or ""),
                quantity=quantity if isinstance(quantity, int) else 1,
                unit_price=price,
            )
        )
    return tuple(lines)


def approved_quantity(line: Line, decision: LineDecision) -> int:
    if decision.outcome == "approved":
        return line.quantity
    if decision.outcome == "reduced":
        return decision.quantity or 0
    return 0


def check_line_decisions(
    lines: Sequence[Line], decisions: Sequence[LineDecision]
) -> list[LineProblem]:
    """Every problem with `decisions` on `lines`: each line decided exactly once, a known
    outcome, a reduced quantity below the requested one, a reason for each denial."""
    if not lines:
        return [LineProblem("lines_not_applicable", "This request has no separate lines.")]
    problems: list[LineProblem] = []
    by_number = {line.number: line for line in lines}
    seen: set[int] = set()
    for index, decision in enumerate(decisions):
        line = by_number.get(decision.line)
        if line is None:
            problems.append(
                LineProblem("line_unknown", f"The request has no line {decision.line}.", index)
            )
            continue
        if decision.line in seen:
            problems.append(
                LineProblem("line_repeated", f"Line {decision.line} is decided twice.", index)
            )
        seen.add(decision.line)
        if decision.outcome not in LINE_OUTCOMES:
            problems.append(
                LineProblem("line_outcome_invalid", "Choose approved, reduced or denied.", index)
            )
        elif decision.outcome == "reduced":
            problems.extend(_reduced_problems(line, decision, index))
        elif decision.outcome == "denied" and not (decision.reason_code or "").strip():
            problems.append(
                LineProblem(
                    "line_reason_required",
                    f"Choose a reason code for denying line {line.number}.",
                    index,
                )
            )
        surplus = decision.quantity not in (None, 0, line.quantity) or (
            decision.outcome == "denied" and decision.quantity
        )
        if decision.outcome in ("approved", "denied") and surplus:
            problems.append(
                LineProblem(
                    "line_quantity_unexpected",
                    "Only a reduced line takes an approved quantity.",
                    index,
                )
            )
    missing = [line.number for line in lines if line.number not in seen]
    if missing and not any(p.code == "line_unknown" for p in problems):
        numbers = ", ".join(str(n) for n in missing)
        problems.append(LineProblem("line_missing", f"Decide every line (missing: {numbers})."))
    return problems


def _reduced_problems(line: Line, decision: LineDecision, index: int) -> list[LineProblem]:
    quantity = decision.quantity
    if quantity is None or quantity < 1:
        return [
            LineProblem(
                "line_quantity_invalid",
                f"Give the approved quantity of line {line.number} (at least 1; deny the line "
                "to approve none).",
                index,
            )
        ]
    if quantity >= line.quantity:
        return [
            LineProblem(
                "line_quantity_above_requested",
                f"A reduced quantity must be below the {line.quantity} requested on line "
                f"{line.number}.",
                index,
            )
        ]
    return []


def overall(decisions: Sequence[LineDecision]) -> tuple[str, bool]:
    """The task's decision and whether it is partial: every line denied -> ("reject", False);
    every line approved in full -> ("approve", False); otherwise ("approve", True)."""
    outcomes = {d.outcome for d in decisions}
    if outcomes == {"denied"}:
        return "reject", False
    return "approve", outcomes != {"approved"}


def approved_total(
    lines: Sequence[Line], decisions: Sequence[LineDecision], requested: Decimal | None
) -> Decimal | None:
    """What the decision approves in money, for the authority check: the sum of approved
    quantities times unit prices when every line has a price; otherwise the requested amount
    (without prices on every line a reduction has no known value)."""
    by_line = {d.line: d for d in decisions}
    if not lines or any(line.unit_price is None for line in lines):
        return requested
    total = Decimal(0)
    for line in lines:
        decision = by_line.get(line.number)
        if decision is not None and line.unit_price is not None:
            total += line.unit_price * approved_quantity(line, decision)
    return total.quantize(Decimal("0.01"))


def summary(decisions: Sequence[LineDecision]) -> str:
    """The outcomes in a few words, e.g. "lines: 2 approved, 1 reduced, 1 denied"."""
    counts = [(o, sum(1 for d in decisions if d.outcome == o)) for o in LINE_OUTCOMES]
    return "lines: " + ", ".join(f"{n} {o}" for o, n in counts if n)
