"""Cleaning a `line_items` answer: the lines of a request with several items or services.

Accepted: a list of objects `{"code", "description", "quantity", "unit_price", "line"}` (code
or description required; quantity a whole number, default 1; unit_price optional money; line
an optional number, default the position), or text with one line per row written
`description | quantity | unit price` (the last two optional; a description that starts with a CPT
or HCPCS code gives the line's code), as the web form's box sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from .codes import CPT_RE

MAX_LINES = 50
MAX_QUANTITY = 100_000
KEYS = {"line", "code", "description", "quantity", "unit_price"}


def clean_line_items(raw: object) -> tuple[object, list[str]]:
    if isinstance(raw, str):
        raw = _rows(raw)
    if not isinstance(raw, list | tuple) or not raw:
        return None, ["Enter one line per item."]
    if len(raw) > MAX_LINES:
        return None, [f"Enter at most {MAX_LINES} lines."]
    lines: list[dict[str, object]] = []
    errors: list[str] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            errors.append(f"Line {position}: give a code or description, quantity and price.")
            continue
        line, problems = _clean_line(item, position)
        errors.extend(f"Line {position}: {p}" for p in problems)
        if line is not None:
            lines.append(line)
    numbers = [line["line"] for line in lines]
    if len(set(numbers)) != len(numbers):
        errors.append("Each line needs its own number.")
    return (None, errors) if errors else (lines, [])


def _rows(text: str) -> list[dict[str, object]]:
    rows = []
    for row in text.splitlines():
        if not row.strip():
            continue
        parts = [p.strip() for p in row.split("|")]
        head, _, rest = parts[0].partition(" ")
        item: dict[str, object] = (
            {"code": head, "description": rest.strip()}
            if CPT_RE.match(head.upper())
            else {"description": parts[0]}
        )
        if len(parts) > 1 and parts[1]:
            item["quantity"] = parts[1]
        if len(parts) > 2 and parts[2]:
            item["unit_price"] = parts[2]
        rows.append(item)
    return rows


def _clean_line(
    item: Mapping[object, object], position: int
) -> tuple[dict[str, object] | None, list[str]]:
    problems: list[str] = []
    unknown = sorted(str(k) for k in item if k not in KEYS)
    if unknown:
        problems.append(f"unknown key {', '.join(unknown)}.")
    code = item.get("code") or ""
    description = item.get("description") or ""
    if not isinstance(code, str) or not isinstance(description, str):
        return None, ["code and description are text."]
    code, description = code.strip().upper()[:40], description.strip()
    if not code and not description:
        problems.append("give a code or a description.")
    if len(description) > 200:
        problems.append("describe the line in at most 200 characters.")
    number = item.get("line", position)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        problems.append("the line number is a whole number of at least 1.")
    quantity = _whole(item.get("quantity", 1))
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        problems.append(f"the quantity is a whole number from 1 to {MAX_QUANTITY}.")
    price = _money(item.get("unit_price"))
    if price is False:
        problems.append("the unit price is an amount of at least 0 with at most 2 decimals.")
    if problems:
        return None, problems
    return {
        "line": number,
        "code": code,
        "description": description,
        "quantity": quantity,
        "unit_price": str(price) if isinstance(price, Decimal) else None,
    }, []


def _whole(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _money(raw: object) -> Decimal | bool | None:
    """The price, None when absent, False when not an amount."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return False
    try:
        value = Decimal(str(raw).strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        return False
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or (isinstance(exponent, int) and exponent < -2):
        return False
    return value.quantize(Decimal("0.01"))
