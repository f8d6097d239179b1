"""Structured routing conditions (`all`/`any`/`not` over field comparisons): parse, evaluate, dump.

Never `eval`. At runtime an incompatible comparison is simply false; shape errors are caught when
the spec is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .errors import SpecProblem

OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "empty", "not_empty")
ORDER_OPS = frozenset({"<", "<=", ">", ">="})
LIST_OPS = frozenset({"in", "not_in"})
NO_VALUE_OPS = frozenset({"empty", "not_empty"})
BUILTIN_FIELDS: Mapping[str, str] = {
    "amount": "money",
    "urgency": "choice",
    "department": "department",
}
URGENCIES = ("standard", "expedited")

Scalar = str | int | float | bool | None
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | AllOf | AnyOf | Not


# --- evaluation -----------------------------------------------------------------------------


def evaluate(condition: Condition, data: Mapping[str, object]) -> bool:
    """True when `condition` holds for `data` (form values plus amount/urgency/department)."""
    if isinstance(condition, AllOf):
        return all(evaluate(c, data) for c in condition.items)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, data) for c in condition.items)
    if isinstance(condition, Not):
        return not evaluate(condition.item, data)
    return _compare(data.get(condition.field), condition.op, condition.value)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict | set) and not value)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None


def _comparable(value: object) -> Decimal | str | None:
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return None


def _equal(left: object, right: object) -> bool:
    ln, rn = _number(left), _number(right)
    if ln is not None or rn is not None:
        return ln is not None and rn is not None and ln == rn
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if left is None or right is None:
        return left is None and right is None
    lc, rc = _comparable(left), _comparable(right)
    return lc is not None and lc == rc


def _compare(actual: object, op: str, expected: Value) -> bool:
    if op == "empty":
        return _is_empty(actual)
    if op == "not_empty":
        return not _is_empty(actual)
    if op == "==":
        return _equal(actual, expected)
    if op == "!=":
        return not _equal(actual, expected)
    if op in LIST_OPS:
        if not isinstance(expected, tuple):
            return False
        found = any(_equal(actual, e) for e in expected)
        return found if op == "in" else not found and actual is not None
    if op == "contains":
        if isinstance(actual, list | tuple | set | frozenset):
            return any(_equal(a, expected) for a in actual)
        if isinstance(actual, str) and isinstance(expected, str):
            return expected.casefold() in actual.casefold()
        return False
    if op in ORDER_OPS:
        left, right = _comparable(actual), _comparable(expected)
        if left is None or right is None or type(left) is not type(right):
            return False
        if op == "<":
            return left < right  # type: ignore[operator]
        if op == "<=":
            return left <= right  # type: ignore[operator]
        if op == ">":
            return left > right  # type: ignore[operator]
        return left >= right  # type: ignore[operator]
    return False


# --- parsing and dumping --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """What condition parsing needs to know about a field: its type and its choices."""

    type: str
    choices: tuple[str, ...] | None = None


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def parse_condition(
    raw: object, path: str, fields: Mapping[str, FieldInfo], problems: list[SpecProblem]
) -> Condition | None:
    """Parse one condition; append problems (with paths) and return None when it is invalid."""
    if not isinstance(raw, Mapping):
        problems.append(SpecProblem(path, "a condition must be an object"))
        return None
    combinators = [k for k in ("all", "any", "not") if k in raw]
    if combinators:
        key = combinators[0]
        if len(raw) != 1:
            extra = sorted(str(k) for k in raw if k != key)
            problems.append(SpecProblem(path, f'"{key}" cannot be combined with {extra}'))
            return None
        inner = raw[key]
        if key == "not":
            item = parse_condition(inner, f"{path}.not", fields, problems)
            return Not(item) if item is not None else None
        if not isinstance(inner, list) or not inner:
            problems.append(SpecProblem(f"{path}.{key}", "must be a non-empty list of conditions"))
            return None
        items = [
            parse_condition(c, f"{path}.{key}[{i}]", fields, problems) for i, c in enumerate(inner)
        ]
        if any(i is None for i in items):
            return None
        parsed = tuple(i for i in items if i is not None)
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    return _parse_compare(raw, path, fields, problems)


def _parse_compare(
    raw: Mapping[object, object],
    path: str,
    fields: Mapping[str, FieldInfo],
    problems: list[SpecProblem],
) -> Compare | None:
    start = len(problems)
    unknown = sorted(str(k) for k in raw if k not in ("field", "op", "value"))
    if unknown:
        problems.append(
            SpecProblem(path, f"unknown keys {unknown} (expected field, op, value or all/any/not)")
        )
    name, op = raw.get("field"), raw.get("op")
    info: FieldInfo | None = None
    if not isinstance(name, str) or not name:
        problems.append(
            SpecProblem(
                f"{path}.field", "required: a form field name or amount, urgency, department"
            )
        )
    else:
        info = fields.get(name)
        if info is None:
            problems.append(SpecProblem(f"{path}.field", f'unknown field "{name}"'))
    if op not in OPS:
        problems.append(SpecProblem(f"{path}.op", f"must be one of {' '.join(OPS)}"))
        return None
    assert isinstance(op, str)
    if op in NO_VALUE_OPS:
        if raw.get("value") is not None:
            problems.append(SpecProblem(f"{path}.value", f'"{op}" takes no value'))
        return Compare(str(name), op) if len(problems) == start else None
    if "value" not in raw:
        problems.append(SpecProblem(f"{path}.value", f'required for "{op}"'))
        return None
    value = raw["value"]
    vpath = f"{path}.value"
    parsed: Value
    if op in LIST_OPS:
        if not isinstance(value, list) or not all(_is_scalar(v) for v in value):
            problems.append(SpecProblem(vpath, f'"{op}" needs a list of values'))
            return None
        parsed = tuple(value)
    elif not _is_scalar(value):
        problems.append(SpecProblem(vpath, f'"{op}" needs a single value, not a list or object'))
        return None
    else:
        parsed = value  # type: ignore[assignment]
    if op in ORDER_OPS and info is not None:
        _check_order_value(info, value, vpath, problems)
    if (
        op == "contains"
        and info is not None
        and info.type not in ("multi_choice", "text", "long_text")
    ):
        problems.append(
            SpecProblem(vpath, f'"contains" needs a text or multi_choice field, not {info.type}')
        )
    if (
        info is not None
        and info.choices is not None
        and op in ("==", "!=", "in", "not_in", "contains")
    ):
        values = parsed if isinstance(parsed, tuple) else (parsed,)
        bad = [v for v in values if v not in info.choices]
        if bad:
            problems.append(
                SpecProblem(vpath, f"{bad!r} not among the field's choices {list(info.choices)}")
            )
    return Compare(str(name), op, parsed) if len(problems) == start else None


def _check_order_value(
    info: FieldInfo, value: object, path: str, problems: list[SpecProblem]
) -> None:
    if info.type in ("number", "money"):
        if _number(value) is None:
            problems.append(
                SpecProblem(path, f"must be a number to compare with a {info.type} field")
            )
    elif info.type in ("date", "datetime"):
        if not isinstance(value, str) or not _looks_iso(value):
            problems.append(
                SpecProblem(path, f"must be an ISO date string to compare with a {info.type} field")
            )
    else:
        problems.append(SpecProblem(path, f"cannot order-compare a {info.type} field"))


def _looks_iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def condition_to_dict(condition: Condition) -> dict[str, object]:
    """The JSON form of a parsed condition (inverse of `parse_condition`)."""
    if isinstance(condition, AllOf):
        return {"all": [condition_to_dict(c) for c in condition.items]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_to_dict(c) for c in condition.items]}
    if isinstance(condition, Not):
        return {"not": condition_to_dict(condition.item)}
    out: dict[str, object] = {"field": condition.field, "op": condition.op}
    if condition.op not in NO_VALUE_OPS:
        out["value"] = (
            list(condition.value) if isinstance(condition.value, tuple) else condition.value
        )
    return out


def condition_fields(condition: Condition) -> set[str]:
    """Names of the fields a condition reads."""
    if isinstance(condition, AllOf | AnyOf):
        return set().union(*(condition_fields(c) for c in condition.items))
    if isinstance(condition, Not):
        return condition_fields(condition.item)
    return {condition.field}
