"""`parse_spec`: turn a workflow spec JSON document into a `WorkflowSpec`, reporting every problem.

Problems carry the path of the bad element (`stages[1].steps[0].approvers`) and a human message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from .conditions import Condition, FieldInfo, parse_condition
from .errors import SpecError, SpecProblem
from .spec import (
    DEFAULT_REMINDERS,
    FIELD_TYPES,
    AutoRules,
    FieldSpec,
    SlaPolicy,
    SlaSpec,
    StageSpec,
    StepSpec,
    WorkflowSpec,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX_RE = re.compile(r"^[A-Z]{2,5}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED_FIELD_NAMES = ("urgency", "department")

TOP_KEYS = ("key", "name", "category", "reference_prefix", "amount_field", "form", "stages", "sla",
            "phi_hidden_from_roles")  # fmt: skip
FIELD_KEYS = (
    "name",
    "type",
    "label",
    "required",
    "help",
    "phi",
    "min",
    "max",
    "pattern",
    "choices",
    "max_length",
)
STAGE_KEYS = ("key", "name", "steps")
STEP_KEYS = (
    "key",
    "name",
    "approvers",
    "quorum",
    "when",
    "on_reject",
    "authority",
    "assignment",
    "allow_repeat_approver",
    "auto",
    "sla",
)
SLA_KEYS = ("hours", "calendar", "reminders", "pause_on_needs_info")


class _Parser:
    def __init__(
        self,
        known_roles: Collection[str] | None,
        known_users: Collection[str] | None,
        known_departments: Collection[str] | None,
    ) -> None:
        self.problems: list[SpecProblem] = []
        self.known_roles = known_roles
        self.known_users = known_users
        self.known_departments = known_departments
        self.fields: dict[str, FieldSpec] = {}
        self.condition_fields: dict[str, FieldInfo] = {}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(SpecProblem(path, message))

    def obj(
        self, raw: object, path: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> bool:
        if not isinstance(raw, Mapping):
            self.problem(path, "must be an object")
            return False
        for key in raw:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f' (did you mean "{hint[0]}"?)' if hint else ""
                self.problem(path, f'unknown key "{key}"{extra}')
        for key in required:
            if key not in raw:
                self.problem(f"{path}.{key}" if path else key, "required")
        return True

    def text(
        self,
        raw: Mapping[str, Any],
        key: str,
        path: str,
        *,
        regex: re.Pattern[str] | None = None,
        what: str = "",
        default: str | None = None,
    ) -> str:
        value = raw.get(key, default)
        if value is None and default is None and key not in raw:
            return ""  # already reported as required
        if not isinstance(value, str) or (not value.strip() and default is None):
            self.problem(path, "must be a non-empty string")
            return ""
        if regex is not None and not regex.match(value):
            self.problem(path, f'"{value}" is not {what}')
        return value

    def flag(self, raw: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(path, "must be true or false")
            return default
        return value

    # --- top level ---------------------------------------------------------------------------

    def parse(self, doc: object) -> WorkflowSpec | None:
        if not self.obj(
            doc, "", TOP_KEYS, ("key", "name", "category", "reference_prefix", "form", "stages")
        ):
            return None
        assert isinstance(doc, Mapping)
        key = self.text(
            doc, "key", "key", regex=SLUG_RE, what="a slug (lowercase letters, digits, - or _)"
        )
        name = self.text(doc, "name", "name")
        category = self.text(doc, "category", "category", regex=SLUG_RE, what="a slug")
        prefix = self.text(
            doc,
            "reference_prefix",
            "reference_prefix",
            regex=PREFIX_RE,
            what="2 to 5 capital letters",
        )
        fields = self.parse_form(doc.get("form"))
        amount_field = self.parse_amount_field(doc.get("amount_field"))
        self.check_reserved_names(doc.get("amount_field"))
        self.condition_fields = WorkflowSpec("", "", "", "", fields, ()).condition_fields()
        stages = self.parse_stages(doc.get("stages"))
        sla = self.parse_sla(doc["sla"], "sla") if "sla" in doc else None
        hidden = self.parse_phi_hidden_from_roles(doc.get("phi_hidden_from_roles", []))
        if self.problems:
            return None
        return WorkflowSpec(key, name, category, prefix, fields, stages, amount_field, sla, hidden)

    def parse_phi_hidden_from_roles(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            self.problem("phi_hidden_from_roles", "must be a list of role keys")
            return ()
        for i, role in enumerate(raw):  # same checks as a role:<key> approver
            self.check_selector(f"role:{role}", f"phi_hidden_from_roles[{i}]", None)
        return tuple(dict.fromkeys(raw))

    def parse_form(self, raw: object) -> tuple[FieldSpec, ...]:
        if raw is None:
            return ()
        if not self.obj(raw, "form", ("fields",), ("fields",)):
            return ()
        assert isinstance(raw, Mapping)
        items = raw.get("fields")
        if not isinstance(items, list):
            if "fields" in raw:
                self.problem("form.fields", "must be a list")
            return ()
        out: list[FieldSpec] = []
        for i, item in enumerate(items):
            spec = self.parse_field(item, f"form.fields[{i}]")
            if spec is None:
                continue
            if spec.name in self.fields:
                self.problem(f"form.fields[{i}].name", f'duplicate field name "{spec.name}"')
                continue
            self.fields[spec.name] = spec
            out.append(spec)
        return tuple(out)

    def parse_field(self, raw: object, path: str) -> FieldSpec | None:
        start = len(self.problems)
        if not self.obj(raw, path, FIELD_KEYS, ("name", "type", "label")):
            return None
        assert isinstance(raw, Mapping)
        name = self.text(
            raw,
            "name",
            f"{path}.name",
            regex=FIELD_NAME_RE,
            what="a field name (lowercase letter, then letters, digits or _)",
        )
        type_ = raw.get("type")
        if "type" in raw and type_ not in FIELD_TYPES:
            self.problem(
                f"{path}.type", f'unknown type "{type_}" (expected one of {", ".join(FIELD_TYPES)})'
            )
        label = self.text(raw, "label", f"{path}.label")
        help_ = raw.get("help") or ""
        if not isinstance(help_, str):
            self.problem(f"{path}.help", "must be a string")
        choices = self.parse_choices(raw.get("choices"), type_, f"{path}.choices")
        low, high = (self.parse_bound(raw.get(k), type_, f"{path}.{k}") for k in ("min", "max"))
        pattern = raw.get("pattern")
        if pattern is not None:
            if type_ not in ("text", "long_text"):
                self.problem(f"{path}.pattern", "only text fields take a pattern")
            elif not isinstance(pattern, str):
                self.problem(f"{path}.pattern", "must be a regular expression string")
            else:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.problem(f"{path}.pattern", f"invalid regular expression: {exc}")
        max_length = raw.get("max_length")
        if max_length is not None:
            if type_ not in ("text", "long_text"):
                self.problem(f"{path}.max_length", "only text fields take a max_length")
            elif not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
                self.problem(f"{path}.max_length", "must be a positive integer")
        required = self.flag(raw, "required", f"{path}.required")
        phi = self.flag(raw, "phi", f"{path}.phi")
        if len(self.problems) != start:
            return None
        return FieldSpec(
            str(name),
            str(type_),
            label,
            required,
            str(help_),
            phi,
            low,
            high,
            pattern,
            choices,
            max_length,
        )

    def parse_choices(self, raw: object, type_: object, path: str) -> tuple[str, ...] | None:
        if type_ in ("choice", "multi_choice"):
            if raw is None:
                self.problem(path, f"a {type_} field needs choices")
                return None
            if (
                not isinstance(raw, list)
                or not raw
                or not all(isinstance(c, str) and c for c in raw)
            ):
                self.problem(path, "must be a non-empty list of non-empty strings")
                return None
            if len(set(raw)) != len(raw):
                self.problem(path, "choices must be unique")
            return tuple(raw)
        if raw is not None:
            self.problem(path, "only choice and multi_choice fields take choices")
        return None

    def parse_bound(self, raw: object, type_: object, path: str) -> int | float | str | None:
        if raw is None:
            return None
        if type_ in ("number", "money"):
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return raw
            self.problem(path, "must be a number")
        elif type_ in ("date", "datetime"):
            if isinstance(raw, str):
                try:
                    date.fromisoformat(raw[:10])
                    return raw
                except ValueError:
                    pass
            self.problem(path, "must be an ISO date string")
        else:
            self.problem(path, "only number, money, date and datetime fields take min/max")
        return None

    def parse_amount_field(self, raw: object) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.problem("amount_field", "must be a field name or null")
            return None
        field = self.fields.get(raw)
        if field is None:
            self.problem("amount_field", f'unknown field "{raw}"')
            return None
        if field.type not in ("money", "number"):
            self.problem(
                "amount_field", f'"{raw}" is a {field.type} field; it must be money or number'
            )
            return None
        return raw

    def check_reserved_names(self, amount_field: object) -> None:
        for i, f in enumerate(self.fields.values()):
            if f.name in RESERVED_FIELD_NAMES or (f.name == "amount" and amount_field != "amount"):
                self.problem(
                    f"form.fields[{i}].name",
                    f'"{f.name}" is a built-in condition field; '
                    'rename the field ("amount" may only name the amount_field)',
                )

    # --- stages and steps --------------------------------------------------------------------

    def parse_stages(self, raw: object) -> tuple[StageSpec, ...]:
        if not isinstance(raw, list) or not raw:
            if raw is not None:
                self.problem("stages", "must be a non-empty list of stages")
            return ()
        stages: list[StageSpec] = []
        stage_keys: set[str] = set()
        step_keys: set[str] = set()
        for i, item in enumerate(raw):
            path = f"stages[{i}]"
            if not self.obj(item, path, STAGE_KEYS, ("key", "name", "steps")):
                continue
            assert isinstance(item, Mapping)
            key = self.text(item, "key", f"{path}.key", regex=SLUG_RE, what="a slug")
            if key and key in stage_keys:
                self.problem(f"{path}.key", f'duplicate stage key "{key}"')
            stage_keys.add(key)
            name = self.text(item, "name", f"{path}.name")
            raw_steps = item.get("steps")
            if not isinstance(raw_steps, list) or not raw_steps:
                if "steps" in item:
                    self.problem(f"{path}.steps", "must be a non-empty list of steps")
                continue
            steps = []
            for j, raw_step in enumerate(raw_steps):
                step = self.parse_step(raw_step, f"{path}.steps[{j}]")
                if step is None:
                    continue
                if step.key in step_keys:
                    self.problem(f"{path}.steps[{j}].key", f'duplicate step key "{step.key}"')
                step_keys.add(step.key)
                steps.append(step)
            stages.append(StageSpec(key, name, tuple(steps)))
        return tuple(stages)

    def parse_step(self, raw: object, path: str) -> StepSpec | None:
        start = len(self.problems)
        if not self.obj(raw, path, STEP_KEYS, ("key", "name", "approvers")):
            return None
        assert isinstance(raw, Mapping)
        key = self.text(raw, "key", f"{path}.key", regex=SLUG_RE, what="a slug")
        name = self.text(raw, "name", f"{path}.name")
        assignment = raw.get("assignment", "each")
        if assignment not in ("each", "queue"):
            self.problem(f"{path}.assignment", 'must be "each" or "queue"')
        approvers = self.parse_approvers(raw.get("approvers"), f"{path}.approvers", assignment)
        quorum = self.parse_quorum(
            raw.get("quorum", "any"), f"{path}.quorum", approvers, assignment
        )
        on_reject = raw.get("on_reject", "deny")
        if on_reject not in ("deny", "return_to_requester"):
            self.problem(f"{path}.on_reject", 'must be "deny" or "return_to_requester"')
        when = self.parse_optional_condition(raw.get("when"), f"{path}.when")
        auto = AutoRules()
        raw_auto = raw.get("auto")
        if raw_auto is not None and self.obj(
            raw_auto, f"{path}.auto", ("approve_when", "skip_when"), ()
        ):
            assert isinstance(raw_auto, Mapping)
            auto = AutoRules(
                self.parse_optional_condition(
                    raw_auto.get("approve_when"), f"{path}.auto.approve_when"
                ),
                self.parse_optional_condition(raw_auto.get("skip_when"), f"{path}.auto.skip_when"),
            )
        sla = self.parse_sla(raw["sla"], f"{path}.sla") if raw.get("sla") is not None else None
        authority = self.flag(raw, "authority", f"{path}.authority")
        repeat = self.flag(raw, "allow_repeat_approver", f"{path}.allow_repeat_approver")
        if len(self.problems) != start:
            return None
        return StepSpec(
            key,
            name,
            approvers,
            quorum,
            when,
            str(on_reject),
            authority,
            str(assignment),
            repeat,
            auto,
            sla,
        )

    def parse_optional_condition(self, raw: object, path: str) -> Condition | None:
        if raw is None:
            return None
        return parse_condition(raw, path, self.condition_fields, self.problems)

    def parse_approvers(self, raw: object, path: str, assignment: object) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
            self.problem(path, "must be a non-empty list of selectors")
            return ()
        if len(set(raw)) != len(raw):
            self.problem(path, "selectors must be unique")
        for selector in raw:
            self.check_selector(selector, path, assignment)
        return tuple(raw)

    def check_selector(self, selector: str, path: str, assignment: object) -> None:
        kind, _, arg = selector.partition(":")
        if assignment == "queue" and kind != "role":
            self.problem(path, f'queue assignment takes role selectors only, not "{selector}"')
        if selector in ("requester_manager", "department_head"):
            return
        if kind == "role" and arg:
            if not SLUG_RE.match(arg):
                self.problem(path, f'role key "{arg}" is not a slug')
            elif self.known_roles is not None and arg not in self.known_roles:
                self.problem(path, f'unknown role "{arg}"')
        elif kind == "user" and arg:
            if not EMAIL_RE.match(arg):
                self.problem(path, f'"{arg}" is not an email address')
            elif self.known_users is not None and arg not in self.known_users:
                self.problem(path, f'unknown user "{arg}"')
        elif kind == "field" and arg:
            field = self.fields.get(arg)
            if field is None:
                self.problem(path, f'unknown field "{arg}"')
            elif field.type != "user":
                self.problem(
                    path,
                    f'field "{arg}" is a {field.type} field; field: selectors need a user field',
                )
        else:
            self.problem(
                path,
                f'invalid selector "{selector}" (expected role:<key>, user:<email>, '
                "requester_manager, department_head or field:<name>)",
            )

    def parse_quorum(
        self, raw: object, path: str, approvers: tuple[str, ...], assignment: object
    ) -> str | int:
        if raw in ("all", "any"):
            return str(raw)
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            self.problem(path, 'must be "all", "any" or a positive integer')
            return "any"
        roles = sum(1 for s in approvers if s.startswith("role:"))
        if assignment == "queue":
            limit: int | None = roles
        else:
            limit = None if roles else len(approvers)
        if limit is not None and approvers and raw > limit:
            self.problem(
                path, f"quorum {raw} is more than the {limit} approver slot(s) of this step"
            )
        return raw

    def parse_sla(self, raw: object, path: str) -> SlaPolicy | None:
        if not self.obj(raw, path, ("standard", "expedited"), ()):
            return None
        assert isinstance(raw, Mapping)
        clocks: dict[str, SlaSpec | None] = {}
        for urgency in ("standard", "expedited"):
            clocks[urgency] = self.parse_clock(raw.get(urgency), f"{path}.{urgency}")
        return SlaPolicy(clocks["standard"], clocks["expedited"])

    def parse_clock(self, raw: object, path: str) -> SlaSpec | None:
        if raw is None:
            return None
        if not self.obj(raw, path, SLA_KEYS, ("hours",)):
            return None
        assert isinstance(raw, Mapping)
        hours = raw.get("hours")
        ok = True
        if "hours" in raw and (
            not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0
        ):
            self.problem(f"{path}.hours", "must be a positive number of hours")
            ok = False
        calendar = raw.get("calendar", "calendar")
        if calendar not in ("calendar", "business"):
            self.problem(f"{path}.calendar", 'must be "calendar" or "business"')
            ok = False
        reminders = raw.get("reminders", list(DEFAULT_REMINDERS))
        if not isinstance(reminders, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 100 for r in reminders
        ):
            self.problem(f"{path}.reminders", "must be a list of percentages from 1 to 100")
            ok = False
        pause = self.flag(raw, "pause_on_needs_info", f"{path}.pause_on_needs_info")
        if not ok or not isinstance(hours, int | float):
            return None
        return SlaSpec(hours, str(calendar), tuple(sorted(set(reminders))), pause)


def parse_spec(
    doc: Mapping[str, object],
    *,
    known_roles: Collection[str] | None = None,
    known_users: Collection[str] | None = None,
    known_departments: Collection[str] | None = None,
) -> WorkflowSpec:
    """Parse and validate a spec document; raise `SpecError` listing every problem.

    A `known_*` collection of None skips that check (e.g. when validating a template pack).
    Departments appear in specs only as condition values, so `known_departments` checks the
    values of conditions on the built-in `department` field.
    """
    parser = _Parser(known_roles, known_users, known_departments)
    spec = parser.parse(doc)
    if spec is not None and known_departments is not None:
        _check_departments(spec, known_departments, parser)
    if parser.problems or spec is None:
        raise SpecError(parser.problems or [SpecProblem("", "invalid spec")])
    return spec


def _check_departments(spec: WorkflowSpec, known: Collection[str], parser: _Parser) -> None:
    from .conditions import AllOf, AnyOf, Compare, Not

    def walk(cond: Condition | None, path: str) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for c in cond.items:
                walk(c, path)
        elif isinstance(cond, Not):
            walk(cond.item, path)
        elif (
            isinstance(cond, Compare)
            and cond.field == "department"
            and spec.field("department") is None
        ):
            values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
            for v in values:
                if isinstance(v, str) and v not in known:
                    parser.problem(path, f'unknown department "{v}"')

    for i, stage in enumerate(spec.stages):
        for j, step in enumerate(stage.steps):
            base = f"stages[{i}].steps[{j}]"
            walk(step.when, f"{base}.when")
            walk(step.auto.approve_when, f"{base}.auto.approve_when")
            walk(step.auto.skip_when, f"{base}.auto.skip_when")
