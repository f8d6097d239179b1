"""Reading a spec's stages and steps: approvers, quorum, conditions and SLA clocks."""

from __future__ import annotations

from collections.abc import Mapping

from .conditions import Condition, parse_condition
from .spec import (
    DEFAULT_REMINDERS,
    PAYER_SELECTOR,
    AutoRules,
    SlaPolicy,
    SlaSpec,
    StageSpec,
    StepSpec,
)
from .spec_reader import EMAIL_RE, SLA_KEYS, SLUG_RE, STAGE_KEYS, STEP_KEYS, SpecReader


class StageParser(SpecReader):
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
        payer_field = self.parse_payer(raw, path, approvers, quorum, assignment, authority)
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
            payer_field,
        )

    def parse_payer(
        self,
        raw: Mapping[str, object],
        path: str,
        approvers: tuple[str, ...],
        quorum: object,
        assignment: object,
        authority: bool,
    ) -> str | None:
        """A payer step: `"approvers": ["payer"]` alone, one slot, no authority check; its
        `payer_field` (default "payer") is the form field naming the payer to submit to."""
        is_payer = PAYER_SELECTOR in approvers
        raw_field = raw.get("payer_field")
        if not is_payer:
            if raw_field is not None:
                self.problem(f"{path}.payer_field", 'only a payer step ("approvers": ["payer"])')
            return None
        if approvers != (PAYER_SELECTOR,):
            self.problem(f"{path}.approvers", '"payer" is the only approver of a payer step')
        if quorum != "any" or assignment != "each":
            self.problem(path, 'a payer step has quorum "any" and assignment "each"')
        if authority:
            self.problem(f"{path}.authority", "a payer step has no authority check")
        name = raw_field if raw_field is not None else "payer"
        if not isinstance(name, str) or not name:
            self.problem(f"{path}.payer_field", "must be the name of a form field")
            return None
        field = self.fields.get(name)
        if field is None:
            self.problem(
                f"{path}.payer_field", f'unknown field "{name}" (the field naming the payer)'
            )
        elif field.type not in ("choice", "text"):
            self.problem(
                f"{path}.payer_field", f'field "{name}" is a {field.type} field; use choice or text'
            )
        return name

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
        if selector in ("requester_manager", "department_head", PAYER_SELECTOR):
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
                "requester_manager, department_head, field:<name> or payer)",
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
