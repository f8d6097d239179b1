"""The designer's pure spec edits, as table tests (no database)."""

import pytest

from apps.workflows import designer
from apps.workflows.designer import ConditionRow
from apps.workflows.engine import parse_spec


def base_spec():
    spec = designer.minimal_spec(
        key="travel", name="Travel", category="travel", reference_prefix="TRV"
    )
    spec = designer.add_field(spec, {"name": "cost", "label": "Cost", "type": "money"})
    spec = designer.add_field(spec, {"name": "buddy", "label": "Buddy", "type": "user"})
    spec = designer.add_stage(spec, "Manager review")
    return designer.add_step(spec, 0, "Manager", ["requester_manager"])


def test_edits_build_a_spec_the_engine_accepts_and_leave_their_input_alone():
    spec = base_spec()
    before = repr(spec)
    edited = designer.set_basics(spec, {"amount_field": "cost", "name": "Travel request"})
    edited = designer.set_step(edited, 0, 0, {"quorum": "all", "authority": True})
    assert repr(spec) == before
    parsed = parse_spec(edited)
    assert parsed.amount_field == "cost"
    assert parsed.name == "Travel request"
    assert parsed.stages[0].steps[0].quorum == "all"
    assert parsed.stages[0].steps[0].authority is True


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"name": "n", "label": "N", "type": "number", "min": "1", "max": "2.5"},
            {"min": 1, "max": 2.5},
        ),
        (
            {"name": "c", "label": "C", "type": "choice", "choices": "a\nb, c"},
            {"choices": ["a", "b", "c"]},
        ),
        (
            {"name": "t", "label": "T", "type": "text", "pattern": "^x$", "min": "3"},
            {"pattern": "^x$"},
        ),
        ({"name": "d", "label": "D", "type": "date", "min": "2026-01-01"}, {"min": "2026-01-01"}),
        (
            {"name": "p", "label": "P", "type": "npi", "phi": True, "required": True},
            {"visibility": "phi", "required": True},  # an older client's checkbox
        ),
        (
            {"name": "s", "label": "S", "type": "money", "visibility": "sensitive"},
            {"visibility": "sensitive"},
        ),
        ({"name": "o", "label": "O", "type": "text"}, {"visibility": "open"}),
    ],
)
def test_field_from_values_keeps_only_options_that_fit_the_type(values, expected):
    out = designer.field_from_values(values)
    for key, value in expected.items():
        assert out[key] == value
    if values["type"] == "text":
        assert "min" not in out
    if values["type"] != "choice":
        assert "choices" not in out


@pytest.mark.parametrize(
    ("rows", "combinator", "expected"),
    [
        ([], "all", None),
        ([ConditionRow("", ">", "5")], "all", None),
        (
            [ConditionRow("amount", ">", "25000")],
            "all",
            {"field": "amount", "op": ">", "value": 25000},
        ),
        (
            [ConditionRow("amount", ">=", "12.5")],
            "any",
            {"field": "amount", "op": ">=", "value": 12.5},
        ),
        (
            [ConditionRow("urgency", "==", "expedited"), ConditionRow("cost", "<", "10")],
            "any",
            {
                "any": [
                    {"field": "urgency", "op": "==", "value": "expedited"},
                    {"field": "cost", "op": "<", "value": 10},
                ]
            },
        ),
        (
            [ConditionRow("department", "in", "cardio, icu"), ConditionRow("buddy", "empty", "x")],
            "all",
            {
                "all": [
                    {"field": "department", "op": "in", "value": ["cardio", "icu"]},
                    {"field": "buddy", "op": "empty"},
                ]
            },
        ),
    ],
)
def test_condition_from_rows(rows, combinator, expected):
    types = {"cost": "money", "buddy": "user"}
    assert designer.condition_from_rows(rows, combinator, types) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, ([], "all")),
        ({"field": "amount", "op": ">", "value": 5}, ([ConditionRow("amount", ">", "5")], "all")),
        (
            {"any": [{"field": "x", "op": "in", "value": ["a", "b"]}]},
            ([ConditionRow("x", "in", "a, b")], "any"),
        ),
        ({"not": {"field": "x", "op": "empty"}}, None),
        ({"all": [{"any": [{"field": "x", "op": "empty"}]}]}, None),
    ],
)
def test_rows_from_condition(condition, expected):
    assert designer.rows_from_condition(condition) == expected


@pytest.mark.parametrize(
    ("edit", "keys"),
    [
        (lambda s: designer.add_stage(s, "Manager review"), ["manager_review", "manager_review_2"]),
        (lambda s: designer.add_stage(s, "!!!"), ["manager_review", "stage"]),
        (lambda s: designer.remove_stage(designer.add_stage(s, "B"), 0), ["b"]),
        (lambda s: designer.move_stage(designer.add_stage(s, "B"), 1, -1), ["b", "manager_review"]),
        (lambda s: designer.move_stage(designer.add_stage(s, "B"), 0, -1), ["manager_review", "b"]),
        (lambda s: designer.move_stage(s, 0, 1), ["manager_review"]),
    ],
)
def test_stage_edits(edit, keys):
    assert [st["key"] for st in edit(base_spec())["stages"]] == keys


def test_step_edits_keep_keys_unique_and_keep_settings_the_designer_does_not_show():
    spec = designer.add_step(base_spec(), 0, "Manager")
    assert [s["key"] for s in spec["stages"][0]["steps"]] == ["manager", "manager_2"]
    spec["stages"][0]["steps"][0]["auto"] = {"skip_when": {"field": "cost", "op": "<", "value": 5}}
    spec["stages"][0]["steps"][0]["sla"] = {"standard": {"hours": 8, "reminders": [50]}}
    edited = designer.set_step(
        spec,
        0,
        0,
        {
            "approvers": ["role:cfo", "field:buddy", "role:cfo"],
            "quorum": 2,
            "when": {"field": "cost", "op": ">", "value": 1},
            "sla_hours": {"standard": 24, "expedited": None},
            "sla_calendar": "business",
        },
    )
    step = edited["stages"][0]["steps"][0]
    assert step["approvers"] == ["role:cfo", "field:buddy"]
    assert step["quorum"] == 2
    assert step["auto"]["skip_when"]["field"] == "cost"
    assert step["sla"] == {"standard": {"hours": 24, "reminders": [50], "calendar": "business"}}
    cleared = designer.set_step(edited, 0, 0, {"when": None, "sla_hours": {}})
    assert "when" not in cleared["stages"][0]["steps"][0]
    assert "sla" not in cleared["stages"][0]["steps"][0]
    assert len(designer.remove_step(edited, 0, 1)["stages"][0]["steps"]) == 1


def test_renaming_a_field_follows_it_into_the_amount_field_and_approvers_removing_clears_it():
    spec = designer.set_basics(base_spec(), {"amount_field": "cost"})
    spec = designer.set_step(spec, 0, 0, {"approvers": ["field:buddy"]})
    spec = designer.set_field(spec, 0, {"name": "total", "label": "Total", "type": "money"})
    spec = designer.set_field(spec, 1, {"name": "peer", "label": "Peer", "type": "user"})
    assert spec["amount_field"] == "total"
    assert spec["stages"][0]["steps"][0]["approvers"] == ["field:peer"]
    assert designer.remove_field(spec, 0)["amount_field"] is None


def test_approver_options_list_roles_people_fields_and_unknown_selectors():
    spec = designer.set_step(base_spec(), 0, 0, {"approvers": ["role:ghost"]})
    groups = dict(designer.approver_options(spec, roles={"cfo": "CFO"}, users={"a@x.test": "Ann"}))
    assert groups["Roles"] == [("role:cfo", "CFO (cfo)")]
    assert ("requester_manager", "Requester's manager") in groups["Relative to the request"]
    assert [v for v, _ in groups["Form fields"]] == ["field:buddy"]
    assert [v for v, _ in groups["People"]] == ["user:a@x.test"]
    assert [v for v, _ in groups["Not known in this organisation"]] == ["role:ghost"]


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ('stages[1].steps[0].approvers: unknown role "cfo"', "step-1-0"),
        ("stages[2].key: duplicate stage key", "stage-2"),
        ("stages[0].steps: must be a non-empty list of steps", "stage-0"),
        ("stages: must be a non-empty list of stages", "stages"),
        ("form.fields[3].choices: choices must be unique", "field-3"),
        ('amount_field: unknown field "x"', "basics"),
        ('reference_prefix: "x" is not 2 to 5 capital letters', "basics"),
        ("invalid spec", "top"),
    ],
)
def test_problems_by_section(message, section):
    assert designer.problems_by_section([message]) == {section: [message]}


def test_a_payer_step_is_offered_and_follows_a_renamed_payer_field():
    spec = base_spec()
    spec = designer.add_field(
        spec, {"name": "plan", "label": "Plan", "type": "choice", "choices": "Acme Health"}
    )
    spec = designer.add_stage(spec, "Payer")
    spec = designer.add_step(spec, 1, "Payer decision", ["payer"])
    spec["stages"][1]["steps"][0]["payer_field"] = "plan"
    groups = dict(designer.approver_options(spec, roles={}, users={}))
    assert "payer" in [value for value, _ in groups["Relative to the request"]]
    renamed = designer.set_field(
        spec,
        2,
        {"name": "health_plan", "label": "Plan", "type": "choice", "choices": "Acme Health"},
    )
    step = parse_spec(renamed).stages[1].steps[0]
    assert step.is_payer
    assert step.payer_field == "health_plan"
