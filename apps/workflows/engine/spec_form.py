"""Reading a spec's form: its fields, their types, choices and bounds, and the amount field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .spec import FIELD_TYPES, VISIBILITIES, FieldSpec
from .spec_reader import FIELD_KEYS, FIELD_NAME_RE, RESERVED_FIELD_NAMES, SpecReader


class FormParser(SpecReader):
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
        visibility = self.parse_visibility(raw, path)
        if len(self.problems) != start:
            return None
        return FieldSpec(
            str(name),
            str(type_),
            label,
            required,
            str(help_),
            visibility,
            low,
            high,
            pattern,
            choices,
            max_length,
        )

    def parse_visibility(self, raw: Mapping[str, object], path: str) -> str:
        """The field's class: `visibility`, or the older `phi` flag (true reads as "phi",
        false as "open"); both may be given only when they agree."""
        phi = self.flag(raw, "phi", f"{path}.phi")
        if "visibility" not in raw:
            return "phi" if phi else "open"
        value = raw["visibility"]
        if not isinstance(value, str) or value not in VISIBILITIES:
            self.problem(
                f"{path}.visibility",
                f'unknown visibility "{value}" (expected one of {", ".join(VISIBILITIES)})',
            )
            return "open"
        if "phi" in raw and phi != (value == "phi"):
            self.problem(
                f"{path}.phi",
                f'"phi": {str(phi).lower()} contradicts "visibility": "{value}"; '
                'drop "phi" and keep "visibility"',
            )
        return value

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
