"""The workflow designer's edits as small pure functions over a spec dict (docs/workflow-spec.md).

Every edit returns a new dict and leaves its input alone; views parse forms, call these and save
the result as the definition's draft. The preview page's dry run is in `route_preview`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.workflows.engine.conditions import BUILTIN_FIELDS, NO_VALUE_OPS, OPS, URGENCIES
from apps.workflows.engine.spec import FIELD_TYPES, VISIBILITIES, field_visibility

__all__ = [
    "FIELD_TYPES",
    "OPS",
    "URGENCIES",
    "VISIBILITIES",
    "ConditionRow",
    "add_field",
    "add_stage",
    "add_step",
    "approver_options",
    "condition_from_rows",
    "editable_spec",
    "minimal_spec",
    "move_stage",
    "problems_by_section",
    "remove_field",
    "remove_stage",
    "remove_step",
    "rows_from_condition",
    "set_basics",
    "set_field",
    "set_minimum_necessary",
    "set_stage",
    "set_step",
    "slug_key",
    "user_fields",
]

CHOICE_TYPES = ("choice", "multi_choice")
NUMERIC_TYPES = ("number", "money")
DATE_TYPES = ("date", "datetime")
TEXT_TYPES = ("text", "long_text")
SPECIAL_APPROVERS = (
    ("requester_manager", "Requester's manager"),
    ("department_head", "Head of the request's department"),
    ("payer", "The payer (submitted as a prior authorization; the payer's answer decides)"),
)


# --- whole spec ---------------------------------------------------------------------------------


def minimal_spec(*, key: str, name: str, category: str, reference_prefix: str) -> dict[str, Any]:
    """The draft of a brand-new workflow: no fields, no stages yet."""
    return {
        "key": key,
        "name": name,
        "category": category,
        "reference_prefix": reference_prefix,
        "amount_field": None,
        "form": {"fields": []},
        "stages": [],
    }


def editable_spec(
    draft: Mapping[str, Any] | None, published: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What the designer edits: the draft, else a copy of the published spec, else nothing."""
    source = draft or published or {}
    spec = copy.deepcopy(dict(source))
    spec.setdefault("form", {}).setdefault("fields", [])
    spec.setdefault("stages", [])
    return spec


def set_basics(spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Name, category, reference prefix and amount field (blank means none). The key stays."""
    out = copy.deepcopy(dict(spec))
    for name in ("name", "category", "reference_prefix"):
        if name in values:
            out[name] = str(values[name]).strip()
    if "amount_field" in values:
        out["amount_field"] = values["amount_field"] or None
    return out


def slug_key(text: str, taken: Iterable[str] = (), *, fallback: str = "item") -> str:
    """A slug made from `text` (lowercase, `_` between words) not among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or fallback
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


# --- form fields --------------------------------------------------------------------------------


def _fields(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("form", {}).get("fields", []))


def user_fields(spec: Mapping[str, Any]) -> list[str]:
    """Names of the form's `user` fields (they can name approvers as `field:<name>`)."""
    return [f["name"] for f in _fields(spec) if f.get("type") == "user" and f.get("name")]


def _bound(raw: object, type_: str) -> int | float | str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if type_ in NUMERIC_TYPES:
        number = Decimal(str(raw).strip())  # InvalidOperation is the form's job to prevent
        return int(number) if number == number.to_integral_value() else float(number)
    return str(raw).strip()


def _choices(raw: object) -> list[str] | None:
    if raw is None:
        return None
    items = raw if isinstance(raw, list | tuple) else re.split(r"[\n,]", str(raw))
    cleaned = [str(c).strip() for c in items if str(c).strip()]
    return cleaned or None


def field_from_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A field dict from designer input; options that do not apply to the type are dropped."""
    type_ = str(values.get("type") or "text")
    out: dict[str, Any] = {
        "name": str(values.get("name", "")).strip(),
        "type": type_,
        "label": str(values.get("label", "")).strip(),
        "required": bool(values.get("required")),
        "help": str(values.get("help") or "").strip(),
        # "visibility" from the designer; an older client's `phi` checkbox reads as before.
        "visibility": str(values.get("visibility") or field_visibility(values)),
    }
    if type_ in CHOICE_TYPES:
        out["choices"] = _choices(values.get("choices")) or []
    if type_ in NUMERIC_TYPES or type_ in DATE_TYPES:
        for bound in ("min", "max"):
            value = _bound(values.get(bound), type_)
            if value is not None:
                out[bound] = value
    if type_ in TEXT_TYPES:
        pattern = str(values.get("pattern") or "").strip()
        if pattern:
            out["pattern"] = pattern
        if values.get("max_length"):
            out["max_length"] = int(values["max_length"])
    return out


def _with_fields(spec: Mapping[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    out["form"] = {**out.get("form", {}), "fields": fields}
    return out


def add_field(spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return _with_fields(spec, [*copy.deepcopy(_fields(spec)), field_from_values(values)])


def set_field(spec: Mapping[str, Any], index: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """Replace field `index`; a rename carries over to the amount field, `field:` approvers
    and payer steps' `payer_field`."""
    fields = copy.deepcopy(_fields(spec))
    old_name = fields[index].get("name")
    fields[index] = field_from_values(values)
    out = _with_fields(spec, fields)
    new_name = fields[index]["name"]
    if old_name and new_name != old_name:
        if out.get("amount_field") == old_name:
            out["amount_field"] = new_name
        for stage in out.get("stages", []):
            for step in stage.get("steps", []):
                step["approvers"] = [
                    f"field:{new_name}" if a == f"field:{old_name}" else a
                    for a in step.get("approvers", [])
                ]
                if step.get("payer_field") == old_name:
                    step["payer_field"] = new_name
    return out


def remove_field(spec: Mapping[str, Any], index: int) -> dict[str, Any]:
    fields = copy.deepcopy(_fields(spec))
    removed = fields.pop(index)
    out = _with_fields(spec, fields)
    if out.get("amount_field") == removed.get("name"):
        out["amount_field"] = None
    return out


def set_minimum_necessary(
    spec: Mapping[str, Any],
    *,
    phi_hidden_from_roles: Sequence[str],
    sensitive_hidden_from_roles: Sequence[str],
) -> dict[str, Any]:
    """The roles that may not see the form's phi fields, and those that may not see its
    sensitive fields (an empty list drops the key)."""
    out = copy.deepcopy(dict(spec))
    for key, roles in (
        ("phi_hidden_from_roles", phi_hidden_from_roles),
        ("sensitive_hidden_from_roles", sensitive_hidden_from_roles),
    ):
        if roles:
            out[key] = list(dict.fromkeys(roles))
        else:
            out.pop(key, None)
    return out


# --- stages and steps ---------------------------------------------------------------------------


def _step_keys(spec: Mapping[str, Any]) -> list[str]:
    return [s.get("key", "") for st in spec.get("stages", []) for s in st.get("steps", [])]


def add_stage(spec: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Append a stage (with no steps yet) whose key is made from its name."""
    out = copy.deepcopy(dict(spec))
    stages = out.setdefault("stages", [])
    key = slug_key(name, (st.get("key", "") for st in stages), fallback="stage")
    stages.append({"key": key, "name": name.strip(), "steps": []})
    return out


def set_stage(spec: Mapping[str, Any], index: int, *, name: str, key: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    out["stages"][index].update(name=name.strip(), key=key.strip())
    return out


def remove_stage(spec: Mapping[str, Any], index: int) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    del out["stages"][index]
    return out


def move_stage(spec: Mapping[str, Any], index: int, offset: int) -> dict[str, Any]:
    """Move stage `index` up (-1) or down (+1); a move past either end changes nothing."""
    out = copy.deepcopy(dict(spec))
    stages = out["stages"]
    target = index + offset
    if 0 <= index < len(stages) and 0 <= target < len(stages):
        stages[index], stages[target] = stages[target], stages[index]
    return out


def add_step(
    spec: Mapping[str, Any], stage_index: int, name: str, approvers: Sequence[str] = ()
) -> dict[str, Any]:
    """Append a step to a stage; its key is made from its name, unique across the spec."""
    out = copy.deepcopy(dict(spec))
    key = slug_key(name, _step_keys(out), fallback="step")
    out["stages"][stage_index]["steps"].append(
        {"key": key, "name": name.strip(), "approvers": list(approvers)}
    )
    return out


def remove_step(spec: Mapping[str, Any], stage_index: int, step_index: int) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    del out["stages"][stage_index]["steps"][step_index]
    return out


def _sla(
    existing: Mapping[str, Any] | None, hours: Mapping[str, Any], calendar: str | None
) -> dict[str, Any] | None:
    """Per-urgency clocks from hours (None drops that urgency); other clock settings are kept."""
    out: dict[str, Any] = {}
    for urgency in URGENCIES:
        value = hours.get(urgency)
        if value is None or value == "":
            continue
        clock = dict((existing or {}).get(urgency) or {})
        clock["hours"] = value
        clock["calendar"] = calendar or clock.get("calendar", "calendar")
        out[urgency] = clock
    return out or None


def set_step(
    spec: Mapping[str, Any], stage_index: int, step_index: int, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Update the designer-edited keys of a step; others (`auto`, repeats, reminders) are kept.

    `values` may hold name, key, approvers, quorum, on_reject, authority, assignment,
    when (a condition dict or None), sla_hours ({"standard": h, "expedited": h}), sla_calendar.
    """
    out = copy.deepcopy(dict(spec))
    step = out["stages"][stage_index]["steps"][step_index]
    for name in ("name", "key"):
        if name in values:
            step[name] = str(values[name]).strip()
    if "approvers" in values:
        step["approvers"] = list(dict.fromkeys(values["approvers"]))
    for name in ("quorum", "on_reject", "assignment"):
        if name in values:
            step[name] = values[name]
    if "authority" in values:
        step["authority"] = bool(values["authority"])
    if "when" in values:
        if values["when"] is None:
            step.pop("when", None)
        else:
            step["when"] = values["when"]
    if "sla_hours" in values:
        sla = _sla(step.get("sla"), values["sla_hours"], values.get("sla_calendar"))
        if sla is None:
            step.pop("sla", None)
        else:
            step["sla"] = sla
    return out


# --- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionRow:
    field: str
    op: str
    value: str = ""


def _condition_value(raw: str, field_type: str | None) -> object:
    text = raw.strip()
    if field_type in NUMERIC_TYPES:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text  # parse_spec reports the bad value with its path
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def condition_from_rows(
    rows: Iterable[ConditionRow],
    combinator: str = "all",
    field_types: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """A `when` condition from builder rows; rows without a field are ignored.

    One row gives a bare comparison, several are combined with `all` or `any`, none gives None.
    `in`/`not_in` values are comma-separated lists; numbers are read for number/money fields.
    """
    types = {**BUILTIN_FIELDS, **(field_types or {})}
    items: list[dict[str, Any]] = []
    for row in rows:
        if not row.field:
            continue
        item: dict[str, Any] = {"field": row.field, "op": row.op}
        type_ = types.get(row.field)
        if row.op in ("in", "not_in"):
            parts = [p for p in row.value.split(",") if p.strip()]
            item["value"] = [_condition_value(p, type_) for p in parts]
        elif row.op not in NO_VALUE_OPS:
            item["value"] = _condition_value(row.value, type_)
        items.append(item)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return {"any" if combinator == "any" else "all": items}


def _row(cond: Mapping[str, Any]) -> ConditionRow | None:
    if "field" not in cond or set(cond) - {"field", "op", "value"}:
        return None
    value = cond.get("value")
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else value
    return ConditionRow(
        str(cond["field"]), str(cond.get("op", "==")), "" if text is None else str(text)
    )


def rows_from_condition(cond: Mapping[str, Any] | None) -> tuple[list[ConditionRow], str] | None:
    """Builder rows and combinator for a condition, or None when rows cannot express it
    (`not`, nesting): the designer then shows it read-only and leaves it as it is."""
    if not cond:
        return [], "all"
    if not isinstance(cond, Mapping):
        return None
    for combinator in ("all", "any"):
        if combinator in cond:
            items = cond[combinator]
            if len(cond) != 1 or not isinstance(items, list):
                return None
            rows = [_row(c) if isinstance(c, Mapping) else None for c in items]
            if any(r is None for r in rows):
                return None
            return [r for r in rows if r is not None], combinator
    row = _row(cond)
    return ([row], "all") if row is not None else None


# --- pick lists and problems --------------------------------------------------------------------


def approver_options(
    spec: Mapping[str, Any],
    *,
    roles: Mapping[str, str],
    users: Mapping[str, str],
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Approver selectors grouped for pick lists: (group, [(selector, label)]).

    `roles` maps role keys to names and `users` emails to names (from `known_names()`).
    Selectors the spec already uses but the tenant does not know are listed too, so that
    an edit never drops them silently; validation names them.
    """
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Roles", [(f"role:{k}", f"{n} ({k})") for k, n in sorted(roles.items())]),
        ("Relative to the request", list(SPECIAL_APPROVERS)),
        ("Form fields", [(f"field:{n}", f"Person in field “{n}”") for n in user_fields(spec)]),
        ("People", [(f"user:{e}", f"{n} <{e}>") for e, n in sorted(users.items())]),
    ]
    listed = {value for _, options in groups for value, _ in options}
    used = [
        a
        for st in spec.get("stages", [])
        for s in st.get("steps", [])
        for a in s.get("approvers", [])
    ]
    unknown = [(a, f"{a} (unknown)") for a in dict.fromkeys(used) if a not in listed]
    if unknown:
        groups.append(("Not known in this organisation", unknown))
    return [(group, options) for group, options in groups if options]


BASICS_KEYS = ("key", "name", "category", "reference_prefix", "amount_field")
MINIMUM_NECESSARY_KEYS = ("phi_hidden_from_roles", "sensitive_hidden_from_roles")
_INDEX_RE = re.compile(r"^(form\.fields|stages)\[(\d+)\](?:\.steps\[(\d+)\])?")


def problems_by_section(messages: Iterable[str]) -> dict[str, list[str]]:
    """Group `path: message` strings by designer section: "basics", "minimum", "field-<i>",
    "stage-<i>", "step-<i>-<j>" and "top" (no path or a path the sections do not cover)."""
    out: dict[str, list[str]] = {}
    for message in messages:
        path = message.split(":", 1)[0] if ": " in message else ""
        match = _INDEX_RE.match(path)
        if match and match.group(1) == "form.fields":
            section = f"field-{match.group(2)}"
        elif match and match.group(3) is not None:
            section = f"step-{match.group(2)}-{match.group(3)}"
        elif match:
            section = f"stage-{match.group(2)}"
        elif path.split(".")[0] in BASICS_KEYS:
            section = "basics"
        elif path.split("[")[0] in MINIMUM_NECESSARY_KEYS:
            section = "minimum"
        elif path.startswith(("form", "stages")):
            section = "fields" if path.startswith("form") else "stages"
        else:
            section = "top"
        out.setdefault(section, []).append(message)
    return out
