"""What every part of spec parsing shares: the name patterns, and `SpecReader`, which collects
problems with their paths and reads objects, strings and flags."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import Any

from .conditions import FieldInfo
from .errors import SpecProblem
from .spec import FieldSpec

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX_RE = re.compile(r"^[A-Z]{2,5}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED_FIELD_NAMES = ("urgency", "department")

TOP_KEYS = ("key", "name", "category", "reference_prefix", "amount_field", "form", "stages", "sla",
            "phi_hidden_from_roles", "sensitive_hidden_from_roles", "appeal")  # fmt: skip
APPEAL_KEYS = ("workflow", "window_days")
APPEAL_WINDOW_MAX_DAYS = 365
FIELD_KEYS = (
    "name",
    "type",
    "label",
    "required",
    "help",
    "phi",
    "visibility",
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
    "payer_field",
)
SLA_KEYS = ("hours", "calendar", "reminders", "pause_on_needs_info")


class SpecReader:
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
