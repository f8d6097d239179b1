"""`parse_spec`: turn a workflow spec JSON document into a `WorkflowSpec`, reporting every problem.

Problems carry the path of the bad element (`stages[1].steps[0].approvers`) and a human message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .conditions import Condition
from .errors import SpecError, SpecProblem
from .spec import AppealSpec, WorkflowSpec
from .spec_form import FormParser
from .spec_reader import APPEAL_KEYS, APPEAL_WINDOW_MAX_DAYS, PREFIX_RE, SLUG_RE, TOP_KEYS
from .spec_stages import StageParser


class _Parser(FormParser, StageParser):
    """The whole document: the top-level keys, then the form, then the stages."""

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
        hidden = self.parse_hidden_from_roles(doc, "phi_hidden_from_roles")
        sensitive = self.parse_hidden_from_roles(doc, "sensitive_hidden_from_roles")
        appeal = self.parse_appeal(doc["appeal"]) if "appeal" in doc else None
        if self.problems:
            return None
        return WorkflowSpec(
            key,
            name,
            category,
            prefix,
            fields,
            stages,
            amount_field,
            sla,
            hidden,
            sensitive,
            appeal,
        )

    def parse_appeal(self, raw: object) -> AppealSpec | None:
        """`appeal`: the workflow an appeal of a denial runs, and the days it may be filed in."""
        if not self.obj(raw, "appeal", APPEAL_KEYS, ("workflow",)):
            return None
        assert isinstance(raw, Mapping)
        workflow = self.text(
            raw, "workflow", "appeal.workflow", regex=SLUG_RE, what="a workflow key (a slug)"
        )
        days = raw.get("window_days", 60)
        if (
            isinstance(days, bool)
            or not isinstance(days, int)
            or not 1 <= days <= APPEAL_WINDOW_MAX_DAYS
        ):
            self.problem(
                "appeal.window_days",
                f"must be a whole number of days from 1 to {APPEAL_WINDOW_MAX_DAYS}",
            )
            return None
        return AppealSpec(workflow, days)

    def parse_hidden_from_roles(self, doc: Mapping[str, object], key: str) -> tuple[str, ...]:
        """`phi_hidden_from_roles` or `sensitive_hidden_from_roles`: role keys, each checked
        like a `role:<key>` approver."""
        raw = doc.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            self.problem(key, "must be a list of role keys")
            return ()
        for i, role in enumerate(raw):
            self.check_selector(f"role:{role}", f"{key}[{i}]", None)
        return tuple(dict.fromkeys(raw))


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
