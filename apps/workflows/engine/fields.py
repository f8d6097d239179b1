"""Form submission validation: `validate_submission` cleans data against a spec's form fields.

Cleaned values: `Decimal` for number and money, ISO 8601 strings for date and datetime, lists of
strings for multi_choice, strings otherwise, None for an empty optional field. `to_json` turns the
Decimals into strings for a JSONField; `from_json` reads them back with the spec's field types.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .codes import check_cpt, check_icd10, check_npi
from .line_items import clean_line_items
from .spec import FieldSpec, WorkflowSpec

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = "This field is required."
NUMERIC_TYPES = ("number", "money")


@dataclass(frozen=True)
class Cleaned:
    """The result of validating a submission: cleaned values and per-field error messages."""

    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, object]:
        return to_json(self.values)


def to_json(values: Mapping[str, object]) -> dict[str, object]:
    """JSON-friendly copy of cleaned values (Decimal -> string, tuples -> lists)."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, tuple | list):
            out[key] = [str(v) if isinstance(v, Decimal) else v for v in value]
        elif isinstance(value, datetime | date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def from_json(spec: WorkflowSpec, data: Mapping[str, object]) -> dict[str, object]:
    """Cleaned values from their JSON form: number and money strings become Decimals again."""
    out = dict(data)
    for f in spec.fields:
        value = out.get(f.name)
        if (
            f.type in NUMERIC_TYPES
            and isinstance(value, str | int | float)
            and not isinstance(value, bool)
        ):
            with contextlib.suppress(InvalidOperation):
                out[f.name] = Decimal(str(value))
    return out


def validate_submission(
    spec: WorkflowSpec,
    data: Mapping[str, object],
    *,
    known_users: Collection[str] | None = None,
    known_departments: Collection[str] | None = None,
) -> Cleaned:
    """Validate `data` against the spec's form; never raises for bad input, reports it instead."""
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    names = {f.name for f in spec.fields}
    for key in data:
        if key not in names:
            errors[str(key)] = ["Unknown field."]
    for f in spec.fields:
        raw = data.get(f.name)
        if _is_blank(raw):
            values[f.name] = None
            if f.required:
                errors[f.name] = [REQUIRED]
            continue
        value, messages = _clean(f, raw, known_users, known_departments)
        if messages:
            errors[f.name] = messages
        else:
            values[f.name] = value
    return Cleaned(values, errors)


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == [] or raw == ()


def _clean(
    f: FieldSpec,
    raw: object,
    known_users: Collection[str] | None,
    known_departments: Collection[str] | None,
) -> tuple[object, list[str]]:
    if f.type in NUMERIC_TYPES:
        return _clean_number(f, raw)
    if f.type in ("date", "datetime"):
        return _clean_date(f, raw)
    if f.type == "multi_choice":
        return _clean_multi_choice(f, raw)
    if f.type == "line_items":
        return clean_line_items(raw)
    if not isinstance(raw, str):
        return None, ["Enter text."]
    text = raw.strip()
    if f.type in ("text", "long_text"):
        errors = []
        if f.max_length is not None and len(text) > f.max_length:
            errors.append(f"Enter at most {f.max_length} characters (it has {len(text)}).")
        if f.pattern is not None and not re.fullmatch(f.pattern, text):
            errors.append("Enter a value in the expected format.")
        return text, errors
    if f.type == "choice":
        if text not in (f.choices or ()):
            return None, [f'"{text}" is not one of the available choices.']
        return text, []
    if f.type == "user":
        if not EMAIL_RE.match(text):
            return None, ["Enter the email address of a user."]
        if known_users is not None and text not in known_users:
            return None, [f"{text} is not a user of this organisation."]
        return text, []
    if f.type == "department":
        if known_departments is not None and text not in known_departments:
            return None, [f'"{text}" is not a department of this organisation.']
        return text, []
    checks = {"icd10": check_icd10, "cpt": check_cpt, "npi": check_npi}
    if f.type in checks:
        value, message = checks[f.type](text)
        return value, [message] if message else []
    return text, []  # file: a reference to an uploaded attachment


def _clean_number(f: FieldSpec, raw: object) -> tuple[object, list[str]]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None, ["Enter a number."]
    try:
        value = (
            Decimal(str(raw).strip().replace(",", ""))
            if isinstance(raw, str)
            else Decimal(str(raw))
        )
    except InvalidOperation:
        return None, ["Enter a number."]
    if not value.is_finite():
        return None, ["Enter a number."]
    errors = []
    if f.type == "money":
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            errors.append("Enter an amount with at most 2 decimal places.")
        value = value.quantize(Decimal("0.01")) if not errors else value
    if f.min is not None and value < Decimal(str(f.min)):
        errors.append(f"Enter a value of at least {f.min}.")
    if f.max is not None and value > Decimal(str(f.max)):
        errors.append(f"Enter a value of at most {f.max}.")
    return value, errors


def _clean_date(f: FieldSpec, raw: object) -> tuple[object, list[str]]:
    parsed: date | datetime
    if f.type == "date":
        if isinstance(raw, datetime) or not isinstance(raw, date | str):
            return None, ["Enter a date as YYYY-MM-DD."]
        try:
            parsed = date.fromisoformat(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None, ["Enter a date as YYYY-MM-DD."]
    else:
        if not isinstance(raw, datetime | str):
            return None, ["Enter a date and time in ISO 8601 format."]
        try:
            parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None, ["Enter a date and time in ISO 8601 format."]
    text = parsed.isoformat()
    errors = []
    # Bounds are ISO strings; comparing the same-length prefix compares dates (and times) in order.
    if isinstance(f.min, str) and text[: len(f.min)] < f.min:
        errors.append(f"Enter a date on or after {f.min}.")
    if isinstance(f.max, str) and text[: len(f.max)] > f.max:
        errors.append(f"Enter a date on or before {f.max}.")
    return text, errors


def _clean_multi_choice(f: FieldSpec, raw: object) -> tuple[object, list[str]]:
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        return None, ["Choose from the list."]
    bad = [v for v in raw if v not in (f.choices or ())]
    if bad:
        return None, [f'"{v}" is not one of the available choices.' for v in bad]
    if len(set(raw)) != len(raw):
        return None, ["Choose each option at most once."]
    return list(raw), []
