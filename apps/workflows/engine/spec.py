"""The workflow spec as frozen dataclasses, and `spec_to_dict` (the inverse of `parse_spec`).

The JSON format is documented in docs/workflow-spec.md; parsing lives in `spec_parse.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .conditions import BUILTIN_FIELDS, URGENCIES, Condition, FieldInfo, condition_to_dict

FIELD_TYPES = (
    "text",
    "long_text",
    "number",
    "money",
    "date",
    "datetime",
    "choice",
    "multi_choice",
    "user",
    "department",
    "icd10",
    "cpt",
    "npi",
    "file",
    "line_items",
)
DEFAULT_REMINDERS = (50, 80, 100)
# The approver selector of a step the payer decides (a prior authorization submitted to it).
PAYER_SELECTOR = "payer"

# How much of the request a field's answer may be shown to (minimum necessary): "phi" answers
# are hidden from the roles in `phi_hidden_from_roles`, "sensitive" answers from those in
# `sensitive_hidden_from_roles`, "open" answers from nobody who may see the request.
VISIBILITIES = ("phi", "sensitive", "open")


def field_visibility(raw: Mapping[str, object]) -> str:
    """The visibility class of a field as stored in a spec document: its `visibility`, or for
    specs written before classes existed, "phi" for `phi: true` and "open" otherwise."""
    value = raw.get("visibility")
    if isinstance(value, str) and value in VISIBILITIES:
        return value
    return "phi" if raw.get("phi") is True else "open"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    required: bool = False
    help: str = ""
    visibility: str = "open"
    min: int | float | str | None = None
    max: int | float | str | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    max_length: int | None = None

    @property
    def phi(self) -> bool:
        return self.visibility == "phi"


@dataclass(frozen=True)
class SlaSpec:
    """One clock: a duration in hours on a `calendar` or `business` calendar."""

    hours: int | float
    calendar: str = "calendar"
    reminders: tuple[int, ...] = DEFAULT_REMINDERS
    pause_on_needs_info: bool = False


@dataclass(frozen=True)
class SlaPolicy:
    """Clocks per urgency; either may be absent (no clock for that urgency)."""

    standard: SlaSpec | None = None
    expedited: SlaSpec | None = None

    def for_urgency(self, urgency: str) -> SlaSpec | None:
        return self.expedited if urgency == "expedited" else self.standard


@dataclass(frozen=True)
class AutoRules:
    approve_when: Condition | None = None
    skip_when: Condition | None = None


@dataclass(frozen=True)
class StepSpec:
    key: str
    name: str
    approvers: tuple[str, ...]
    quorum: str | int = "any"
    when: Condition | None = None
    on_reject: str = "deny"
    authority: bool = False
    assignment: str = "each"
    allow_repeat_approver: bool = False
    auto: AutoRules = AutoRules()
    sla: SlaPolicy | None = None
    # A payer step (`"approvers": ["payer"]`): the request is submitted to the payer named by
    # this form field and the payer's answer decides the step (see docs/workflow-spec.md).
    payer_field: str | None = None

    @property
    def is_payer(self) -> bool:
        return self.approvers == (PAYER_SELECTOR,)


@dataclass(frozen=True)
class StageSpec:
    key: str
    name: str
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class AppealSpec:
    """A denial of this workflow may be appealed, within `window_days` of the decision, as a
    request of `workflow` (its own form, reviewers and clock)."""

    workflow: str
    window_days: int = 60


@dataclass(frozen=True)
class WorkflowSpec:
    key: str
    name: str
    category: str
    reference_prefix: str
    fields: tuple[FieldSpec, ...]
    stages: tuple[StageSpec, ...]
    amount_field: str | None = None
    sla: SlaPolicy | None = None
    # Roles whose members see "phi" fields as hidden (minimum necessary).
    phi_hidden_from_roles: tuple[str, ...] = ()
    # Roles whose members see "sensitive" fields as hidden.
    sensitive_hidden_from_roles: tuple[str, ...] = ()
    appeal: AppealSpec | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def step(self, key: str) -> tuple[int, StepSpec]:
        """The stage index and spec of step `key` (step keys are unique in a spec)."""
        for index, stage in enumerate(self.stages):
            for step in stage.steps:
                if step.key == key:
                    return index, step
        raise KeyError(key)

    def condition_fields(self) -> dict[str, FieldInfo]:
        """Fields a condition may read: the form's plus the built-ins."""
        infos = {f.name: FieldInfo(f.type, f.choices) for f in self.fields}
        for name, type_ in BUILTIN_FIELDS.items():
            infos.setdefault(name, FieldInfo(type_, URGENCIES if name == "urgency" else None))
        return infos


def _sla_to_dict(policy: SlaPolicy) -> dict[str, object]:
    out: dict[str, object] = {}
    for urgency in URGENCIES:
        sla = policy.for_urgency(urgency)
        if sla is not None:
            out[urgency] = {
                "hours": sla.hours,
                "calendar": sla.calendar,
                "reminders": list(sla.reminders),
                "pause_on_needs_info": sla.pause_on_needs_info,
            }
    return out


def _field_to_dict(f: FieldSpec) -> dict[str, object]:
    return {
        "name": f.name,
        "type": f.type,
        "label": f.label,
        "required": f.required,
        "help": f.help,
        "visibility": f.visibility,
        "min": f.min,
        "max": f.max,
        "pattern": f.pattern,
        "choices": list(f.choices) if f.choices is not None else None,
        "max_length": f.max_length,
    }


def _step_to_dict(s: StepSpec) -> dict[str, object]:
    out: dict[str, object] = {
        "key": s.key,
        "name": s.name,
        "approvers": list(s.approvers),
        "quorum": s.quorum,
        "when": condition_to_dict(s.when) if s.when is not None else None,
        "on_reject": s.on_reject,
        "authority": s.authority,
        "assignment": s.assignment,
        "allow_repeat_approver": s.allow_repeat_approver,
        "auto": {
            "approve_when": condition_to_dict(s.auto.approve_when) if s.auto.approve_when else None,
            "skip_when": condition_to_dict(s.auto.skip_when) if s.auto.skip_when else None,
        },
    }
    if s.sla is not None:
        out["sla"] = _sla_to_dict(s.sla)
    if s.payer_field is not None:
        out["payer_field"] = s.payer_field
    return out


def spec_to_dict(spec: WorkflowSpec) -> dict[str, object]:
    """The JSON document for `spec`; `parse_spec(spec_to_dict(s)) == s`."""
    out: dict[str, object] = {
        "key": spec.key,
        "name": spec.name,
        "category": spec.category,
        "reference_prefix": spec.reference_prefix,
        "amount_field": spec.amount_field,
        "form": {"fields": [_field_to_dict(f) for f in spec.fields]},
        "stages": [
            {"key": st.key, "name": st.name, "steps": [_step_to_dict(s) for s in st.steps]}
            for st in spec.stages
        ],
    }
    if spec.sla is not None:
        out["sla"] = _sla_to_dict(spec.sla)
    if spec.phi_hidden_from_roles:
        out["phi_hidden_from_roles"] = list(spec.phi_hidden_from_roles)
    if spec.sensitive_hidden_from_roles:
        out["sensitive_hidden_from_roles"] = list(spec.sensitive_hidden_from_roles)
    if spec.appeal is not None:
        out["appeal"] = {"workflow": spec.appeal.workflow, "window_days": spec.appeal.window_days}
    return out
