"""Turning a workflow's form spec into inputs, and posted inputs back into submission data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from apps.accounts.models import User
from apps.people.models import Department
from apps.workflows.engine import field_visibility

INPUT_TYPES = {
    "text": "text",
    "number": "number",
    "money": "number",
    "date": "date",
    "datetime": "datetime-local",
    "icd10": "text",
    "cpt": "text",
    "npi": "text",
}
PLACEHOLDERS = {"icd10": "e.g. M54.50", "cpt": "e.g. 72148", "npi": "10 digits"}


@dataclass
class FieldWidget:
    """What the template needs to draw one field of a workflow form."""

    name: str
    label: str
    type: str
    required: bool
    help: str
    phi: bool
    sensitive: bool = False
    value: Any = ""
    errors: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    input_type: str = "text"
    placeholder: str = ""
    step: str = ""
    min: Any = None
    max: Any = None


def _shown(value: Any, kind: str) -> Any:
    """An answer as its input shows it: an empty optional answer (stored as null) stays empty,
    never the text "None"."""
    if value is None:
        return [] if kind == "multi_choice" else ""
    if kind == "line_items" and isinstance(value, list):
        return "\n".join(line_row(item) for item in value if isinstance(item, dict))
    return value


def line_row(item: dict[str, Any]) -> str:
    """One line of a line-items answer as the form's box writes it:
    `code description | quantity | unit price`."""
    label = " ".join(str(item.get(k) or "") for k in ("code", "description")).strip()
    parts = [label, str(item.get("quantity") or 1)]
    if item.get("unit_price"):
        parts.append(str(item["unit_price"]))
    return " | ".join(parts)


def widgets_for(
    fields: list[dict[str, Any]],
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[FieldWidget]:
    values = values or {}
    errors = errors or {}
    needs_users = any(f["type"] == "user" for f in fields)
    needs_departments = any(f["type"] == "department" for f in fields)
    users = (
        list(User.objects.filter(is_active=True).values_list("email", "full_name"))
        if needs_users
        else []
    )
    departments = list(Department.objects.values_list("key", "name")) if needs_departments else []
    widgets = []
    for spec in fields:
        kind = spec["type"]
        widget = FieldWidget(
            name=spec["name"],
            label=spec.get("label") or spec["name"],
            type=kind,
            required=bool(spec.get("required")),
            help=spec.get("help") or "",
            phi=field_visibility(spec) == "phi",
            sensitive=field_visibility(spec) == "sensitive",
            value=_shown(values.get(spec["name"]), kind),
            errors=errors.get(spec["name"], []),
            input_type=INPUT_TYPES.get(kind, "text"),
            placeholder=PLACEHOLDERS.get(kind, ""),
            step="0.01" if kind == "money" else "any" if kind == "number" else "",
            min=spec.get("min"),
            max=spec.get("max"),
        )
        if kind in ("choice", "multi_choice"):
            widget.options = [(c, c) for c in spec.get("choices") or []]
        elif kind == "user":
            widget.options = [(email, f"{name} ({email})") for email, name in users]
        elif kind == "department":
            widget.options = [(key, name) for key, name in departments]
        widgets.append(widget)
    return widgets


def submission_from_post(
    fields: list[dict[str, Any]], post: QueryDict, files: MultiValueDict[str, Any]
) -> dict[str, Any]:
    """The posted answers as the engine expects them; empty inputs are left out."""
    data: dict[str, Any] = {}
    for spec in fields:
        name, kind = spec["name"], spec["type"]
        if kind == "multi_choice":
            chosen = [v for v in post.getlist(name) if v]
            if chosen:
                data[name] = chosen
        elif kind == "file":
            upload = files.get(name)
            if upload is not None:
                data[name] = f"upload:{upload.name}"
            elif post.get(f"{name}__kept"):
                data[name] = post[f"{name}__kept"]
        else:
            value = post.get(name, "").strip()
            if value:
                data[name] = value
    return data


def display_rows(fields: list[dict[str, Any]], data: dict[str, Any]) -> list[dict[str, Any]]:
    """Label/value rows for the detail page, in form order; people and departments by name."""
    keys = {f["name"]: f["type"] for f in fields}
    emails = [v for k, v in data.items() if keys.get(k) == "user" and isinstance(v, str)]
    departments = [v for k, v in data.items() if keys.get(k) == "department" and v]
    names: dict[str, str] = {}
    if emails:
        names |= dict(User.objects.filter(email__in=emails).values_list("email", "full_name"))
    if departments:
        names |= dict(Department.objects.filter(key__in=departments).values_list("key", "name"))
    rows = []
    for spec in fields:
        value = data.get(spec["name"])
        if spec["type"] in ("user", "department") and isinstance(value, str):
            value = names.get(value, value)
        if spec["type"] == "line_items" and isinstance(value, list):
            value = "; ".join(line_row(v) for v in value if isinstance(v, dict))
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, str) and value.startswith("upload:"):
            value = value.removeprefix("upload:")
        rows.append(
            {
                "label": spec.get("label") or spec["name"],
                "value": "" if value is None else value,
                "phi": field_visibility(spec) == "phi",
                "sensitive": field_visibility(spec) == "sensitive",
                "type": spec["type"],
            }
        )
    return rows
