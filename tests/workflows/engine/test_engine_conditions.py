"""Structured conditions: every op, the combinators, and incompatible types evaluating false."""

from decimal import Decimal

import pytest

from apps.workflows.engine import AllOf, AnyOf, Compare, Not, evaluate

DATA = {
    "amount": Decimal("75000.00"),
    "payer": "Acme Health",
    "tags": ["mri", "urgent"],
    "note": "Patient needs MRI",
    "empty_text": "",
    "start": "2026-03-01",
    "urgency": "expedited",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Compare("amount", ">", 50000), True),
        (Compare("amount", ">=", 75000), True),
        (Compare("amount", "<", 75000), False),
        (Compare("amount", "<=", 75000.0), True),
        (Compare("amount", "==", 75000), True),
        (Compare("amount", "!=", 75000), False),
        (Compare("payer", "==", "Acme Health"), True),
        (Compare("payer", "in", ("Acme Health", "Other")), True),
        (Compare("payer", "not_in", ("Other",)), True),
        (Compare("missing", "not_in", ("Other",)), False),
        (Compare("tags", "contains", "mri"), True),
        (Compare("note", "contains", "mri"), True),
        (Compare("tags", "contains", "ct"), False),
        (Compare("empty_text", "empty"), True),
        (Compare("missing", "empty"), True),
        (Compare("payer", "not_empty"), True),
        (Compare("start", ">=", "2026-01-01"), True),
        # incompatible types are simply false, never an exception
        (Compare("payer", ">", 5), False),
        (Compare("amount", "==", "75000"), False),
        (Compare("amount", ">", "a"), False),
        (Compare("missing", ">", 1), False),
        (Compare("tags", "==", "mri"), False),
        (Compare("amount", "in", "notalist"), False),  # type: ignore[arg-type]
        (Compare("amount", "==", True), False),
        (AllOf((Compare("amount", ">", 1), Compare("urgency", "==", "expedited"))), True),
        (AllOf((Compare("amount", ">", 1), Compare("urgency", "==", "standard"))), False),
        (AnyOf((Compare("amount", "<", 1), Compare("urgency", "==", "expedited"))), True),
        (Not(Compare("urgency", "==", "expedited")), False),
    ],
)
def test_evaluate(condition, expected):
    assert evaluate(condition, DATA) is expected
