"""The engine's per-line rules: cleaning a line-items answer, checking per-line decisions
(stable codes), the task's decision that follows from them and the approved total."""

from decimal import Decimal

import pytest

from apps.workflows.engine import LineDecision, check_line_decisions, lines_of, parse_spec
from apps.workflows.engine.line_items import clean_line_items
from apps.workflows.engine.lines import approved_total, overall

SPEC = parse_spec(
    {
        "key": "t",
        "name": "T",
        "category": "capital",
        "reference_prefix": "TST",
        "form": {"fields": [{"name": "items", "type": "line_items", "label": "Items"}]},
        "stages": [
            {"key": "s", "name": "S", "steps": [{"key": "a", "name": "A", "approvers": ["role:x"]}]}
        ],
    }
)


def test_rows_of_text_and_objects_are_cleaned_alike():
    from_text, errors = clean_line_items("72148 MRI lumbar | 2\nInfusion pump | 4 | 2,500.50\n")
    assert errors == []
    assert from_text == [
        {
            "line": 1,
            "code": "72148",
            "description": "MRI lumbar",
            "quantity": 2,
            "unit_price": None,
        },
        {
            "line": 2,
            "code": "",
            "description": "Infusion pump",
            "quantity": 4,
            "unit_price": "2500.50",
        },
    ]
    lines = lines_of(SPEC, {"items": from_text})
    assert [(line.number, line.label, line.quantity) for line in lines] == [
        (1, "72148 MRI lumbar", 2),
        (2, "Infusion pump", 4),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        [{"description": "x", "quantity": 0}],
        [{"description": "x", "unit_price": "1.001"}],
        [{"quantity": 1}],
        [{"line": 2, "description": "a"}, {"line": 2, "description": "b"}],
        [{"description": "x", "colour": "red"}],
        [],
    ],
)
def test_bad_lines_are_refused(raw):
    value, errors = clean_line_items(raw)
    assert value is None
    assert errors


def test_decisions_are_checked_with_stable_codes():
    lines = lines_of(SPEC, {"items": clean_line_items("A | 3\nB | 1")[0]})
    ok = [LineDecision(1, "reduced", quantity=2), LineDecision(2, "approved")]
    assert check_line_decisions(lines, ok) == []
    cases = {
        "line_unknown": [LineDecision(1, "approved"), LineDecision(3, "approved")],
        "line_missing": [LineDecision(1, "approved")],
        "line_repeated": [
            LineDecision(1, "approved"),
            LineDecision(1, "denied", reason_code="r"),
            LineDecision(2, "approved"),
        ],
        "line_quantity_above_requested": [
            LineDecision(1, "reduced", quantity=3),
            LineDecision(2, "approved"),
        ],
        "line_quantity_invalid": [LineDecision(1, "reduced"), LineDecision(2, "approved")],
        "line_reason_required": [LineDecision(1, "approved"), LineDecision(2, "denied")],
        "line_outcome_invalid": [LineDecision(1, "maybe"), LineDecision(2, "approved")],
        "line_quantity_unexpected": [
            LineDecision(1, "denied", quantity=1, reason_code="r"),
            LineDecision(2, "approved"),
        ],
    }
    for code, decisions in cases.items():
        assert code in [p.code for p in check_line_decisions(lines, decisions)], code
    assert [p.code for p in check_line_decisions((), ok)] == ["lines_not_applicable"]


def test_the_decision_follows_from_the_lines():
    assert overall([LineDecision(1, "denied"), LineDecision(2, "denied")]) == ("reject", False)
    assert overall([LineDecision(1, "approved"), LineDecision(2, "approved")]) == ("approve", False)
    assert overall([LineDecision(1, "approved"), LineDecision(2, "denied")]) == ("approve", True)
    assert overall([LineDecision(1, "reduced", quantity=1)]) == ("approve", True)


def test_the_approved_total_counts_approved_quantities():
    lines = lines_of(SPEC, {"items": clean_line_items("A | 3 | 100\nB | 1 | 50")[0]})
    decisions = [LineDecision(1, "reduced", quantity=2), LineDecision(2, "denied", reason_code="r")]
    assert approved_total(lines, decisions, Decimal("350")) == Decimal("200.00")
