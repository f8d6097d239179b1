"""Form submission validation, including real ICD-10-CM codes, CPT/HCPCS formats and NPI checks."""

from decimal import Decimal

import pytest

from apps.workflows.engine import parse_spec, validate_submission
from apps.workflows.engine.fields import from_json

FIELDS = [
    {"name": "diagnosis", "type": "icd10", "label": "Diagnosis"},
    {"name": "procedure", "type": "cpt", "label": "Procedure"},
    {"name": "npi", "type": "npi", "label": "NPI"},
    {"name": "amount", "type": "money", "label": "Amount", "min": 0, "max": 1000000},
    {"name": "units", "type": "number", "label": "Units", "min": 1, "max": 10},
    {"name": "service_date", "type": "date", "label": "Date", "min": "2026-01-01"},
    {"name": "admitted_at", "type": "datetime", "label": "Admitted"},
    {"name": "payer", "type": "choice", "label": "Payer", "choices": ["Acme", "Other"]},
    {"name": "sites", "type": "multi_choice", "label": "Sites", "choices": ["a", "b"]},
    {
        "name": "member_id",
        "type": "text",
        "label": "Member",
        "pattern": "[A-Z]{3}[0-9]{4}",
        "max_length": 7,
    },
    {"name": "reviewer", "type": "user", "label": "Reviewer"},
    {"name": "dept", "type": "department", "label": "Department"},
    {"name": "report", "type": "file", "label": "Report", "required": True},
]
SPEC = parse_spec(
    {
        "key": "prior-auth",
        "name": "Prior auth",
        "category": "prior_auth",
        "reference_prefix": "PA",
        "amount_field": "amount",
        "form": {"fields": FIELDS},
        "stages": [
            {
                "key": "review",
                "name": "Review",
                "steps": [{"key": "um", "name": "UM", "approvers": ["user:um@example.org"]}],
            }
        ],
    }
)
BASE = {"report": "att_123"}
CATEGORY = "is a category, not a billable code: choose a more specific code below it."
CPT_MSG = (
    "Enter a CPT code (5 digits, or 4 digits then F or T) or a HCPCS code "
    "(a letter A-V then 4 digits)."
)


def errors_for(name, value, **kwargs):
    return validate_submission(SPEC, {**BASE, name: value}, **kwargs).errors.get(name)


@pytest.mark.parametrize(
    ("name", "value", "cleaned"),
    [
        ("diagnosis", "E11.9", "E11.9"),
        ("diagnosis", "E119", "E11.9"),
        ("diagnosis", "m54.50", "M54.50"),
        ("diagnosis", "S72.001A", "S72.001A"),
        ("procedure", "70551", "70551"),
        ("procedure", "0001T", "0001T"),
        ("procedure", "3044F", "3044F"),
        ("procedure", "j1234", "J1234"),
        ("npi", "1234567893", "1234567893"),
        ("amount", "1,250.5", Decimal("1250.50")),
        ("amount", 99, Decimal("99.00")),
        ("units", 3, Decimal(3)),
        ("service_date", "2026-03-02", "2026-03-02"),
        ("admitted_at", "2026-03-02T10:15:00+00:00", "2026-03-02T10:15:00+00:00"),
        ("payer", "Acme", "Acme"),
        ("sites", ["a", "b"], ["a", "b"]),
        ("member_id", "ABC1234", "ABC1234"),
        ("reviewer", "um@example.org", "um@example.org"),
        ("dept", "radiology", "radiology"),
    ],
)
def test_valid_values_are_cleaned(name, value, cleaned):
    result = validate_submission(SPEC, {**BASE, name: value})
    assert result.errors == {}
    assert result.values[name] == cleaned


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("diagnosis", "M54.5", f"M54.5 {CATEGORY}"),
        ("diagnosis", "G35", f"G35 {CATEGORY}"),
        ("diagnosis", "Z99.99", "Z99.99 is not an ICD-10-CM code."),
        ("diagnosis", "hello", "Enter an ICD-10-CM code such as E11.9."),
        ("diagnosis", "A00-A09", "Enter an ICD-10-CM code such as E11.9."),
        ("procedure", "7055", CPT_MSG),
        ("procedure", "W1234", CPT_MSG),
        ("npi", "1234567890", "Enter a valid 10-digit NPI (check digit does not match)."),
        ("npi", "12345", "Enter a valid 10-digit NPI."),
        ("amount", "12.345", "Enter an amount with at most 2 decimal places."),
        ("amount", "-1", "Enter a value of at least 0."),
        ("amount", "lots", "Enter a number."),
        ("amount", True, "Enter a number."),
        ("amount", "NaN", "Enter a number."),
        ("units", 11, "Enter a value of at most 10."),
        ("service_date", "2025-12-31", "Enter a date on or after 2026-01-01."),
        ("service_date", "02/03/2026", "Enter a date as YYYY-MM-DD."),
        ("admitted_at", "yesterday", "Enter a date and time in ISO 8601 format."),
        ("payer", "Nope", '"Nope" is not one of the available choices.'),
        ("sites", ["a", "c"], '"c" is not one of the available choices.'),
        ("sites", ["a", "a"], "Choose each option at most once."),
        ("sites", "a", "Choose from the list."),
        ("member_id", "abc", "Enter a value in the expected format."),
        ("member_id", "ABC12345", "Enter at most 7 characters (it has 8)."),
        ("reviewer", "not-an-email", "Enter the email address of a user."),
    ],
)
def test_invalid_values_get_a_clear_message(name, value, message):
    assert message in errors_for(name, value)


def test_known_users_and_departments_are_checked_when_given():
    assert errors_for("reviewer", "x@example.org", known_users={"um@example.org"}) == [
        "x@example.org is not a user of this organisation."
    ]
    assert errors_for("dept", "cardio", known_departments={"radiology"}) == [
        '"cardio" is not a department of this organisation.'
    ]


def test_required_file_and_unknown_fields():
    result = validate_submission(SPEC, {"report": "  ", "bogus": 1})
    assert result.errors == {"report": ["This field is required."], "bogus": ["Unknown field."]}
    assert not result.is_valid


def test_json_round_trip_keeps_decimals_exact():
    result = validate_submission(SPEC, {**BASE, "amount": "1250.10", "units": 2})
    stored = result.to_json()
    assert stored["amount"] == "1250.10"
    assert from_json(SPEC, stored)["amount"] == Decimal("1250.10")
    assert stored["diagnosis"] is None
