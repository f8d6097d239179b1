"""Spec parsing: every problem reported with its path, unknown keys refused, round-trip exact."""

# ruff: noqa: E501  (the expected problem messages are quoted whole)

import pytest
from wf_helpers import spec_doc, step

from apps.workflows.engine import SpecError, parse_spec, spec_to_dict


def problems(doc, **known):
    with pytest.raises(SpecError) as info:
        parse_spec(doc, **known)
    return [str(p) for p in info.value.problems]


def test_a_valid_spec_round_trips():
    doc = spec_doc(
        [
            step(
                "mgr",
                ["requester_manager"],
                authority=True,
                quorum="any",
                sla={"standard": {"hours": 48, "calendar": "business"}},
            )
        ],
        [
            step(
                "cfo",
                ["role:cfo", "user:carl@example.org"],
                quorum=2,
                when={
                    "all": [
                        {"field": "amount", "op": ">=", "value": 50000},
                        {"not": {"field": "urgency", "op": "==", "value": "expedited"}},
                    ]
                },
                auto={
                    "approve_when": {"field": "payer", "op": "in", "value": ["Acme Health"]},
                    "skip_when": None,
                },
            )
        ],
        sla={"standard": {"hours": 168}, "expedited": {"hours": 72, "pause_on_needs_info": True}},
    )
    spec = parse_spec(doc, known_roles={"cfo"}, known_users={"carl@example.org"})
    assert parse_spec(spec_to_dict(spec)) == spec
    assert spec.stages[1].steps[0].quorum == 2
    assert spec.sla is not None
    assert spec.sla.standard is not None
    assert spec.sla.standard.reminders == (50, 80, 100)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (spec_doc([step("a", ["role:cfo"])]), ['stages[0].steps[0].approvers: unknown role "cfo"']),
        (
            spec_doc([step("a", ["user:x@example.org"])]),
            ['stages[0].steps[0].approvers: unknown user "x@example.org"'],
        ),
        (
            spec_doc([step("a", ["boss"])]),
            [
                'stages[0].steps[0].approvers: invalid selector "boss" (expected role:<key>, user:<email>, '
                "requester_manager, department_head, field:<name> or payer)"
            ],
        ),
        (
            spec_doc([step("a", ["field:vendor"])]),
            [
                'stages[0].steps[0].approvers: field "vendor" is a text field; field: selectors need a user field'
            ],
        ),
        (
            spec_doc([step("a", ["field:nope"])]),
            ['stages[0].steps[0].approvers: unknown field "nope"'],
        ),
        (
            spec_doc([step("a", ["requester_manager"], aprovers=1)]),
            ['stages[0].steps[0]: unknown key "aprovers" (did you mean "approvers"?)'],
        ),
        (
            spec_doc([step("a", ["requester_manager"], quorum=3)]),
            [
                "stages[0].steps[0].quorum: quorum 3 is more than the 1 approver slot(s) of this step"
            ],
        ),
        (
            spec_doc([step("a", ["requester_manager"], quorum=0)]),
            ['stages[0].steps[0].quorum: must be "all", "any" or a positive integer'],
        ),
        (
            spec_doc([step("a", ["requester_manager"], quorum=True)]),
            ['stages[0].steps[0].quorum: must be "all", "any" or a positive integer'],
        ),
        (
            spec_doc([step("a", ["requester_manager"], assignment="queue")]),
            [
                'stages[0].steps[0].approvers: queue assignment takes role selectors only, not "requester_manager"'
            ],
        ),
        (
            spec_doc([step("a", ["requester_manager"]), step("a", ["department_head"])]),
            ['stages[0].steps[1].key: duplicate step key "a"'],
        ),
        (
            spec_doc([step("a", ["requester_manager"], on_reject="explode")]),
            ['stages[0].steps[0].on_reject: must be "deny" or "return_to_requester"'],
        ),
        (
            spec_doc(
                [step("a", ["requester_manager"], when={"field": "colour", "op": "==", "value": 1})]
            ),
            ['stages[0].steps[0].when.field: unknown field "colour"'],
        ),
        (
            spec_doc(
                [step("a", ["requester_manager"], when={"field": "amount", "op": "~", "value": 1})]
            ),
            [
                "stages[0].steps[0].when.op: must be one of == != < <= > >= in not_in contains empty not_empty"
            ],
        ),
        (
            spec_doc(
                [step("a", ["requester_manager"], when={"field": "amount", "op": "in", "value": 5})]
            ),
            ['stages[0].steps[0].when.value: "in" needs a list of values'],
        ),
        (
            spec_doc(
                [
                    step(
                        "a",
                        ["requester_manager"],
                        when={"field": "amount", "op": ">", "value": "big"},
                    )
                ]
            ),
            ["stages[0].steps[0].when.value: must be a number to compare with a money field"],
        ),
        (
            spec_doc(
                [
                    step(
                        "a",
                        ["requester_manager"],
                        when={"field": "payer", "op": "==", "value": "Zed"},
                    )
                ]
            ),
            [
                "stages[0].steps[0].when.value: ['Zed'] not among the field's choices ['Acme Health', 'Other']"
            ],
        ),
        (
            spec_doc([step("a", ["requester_manager"], when={"all": []})]),
            ["stages[0].steps[0].when.all: must be a non-empty list of conditions"],
        ),
        (
            spec_doc(
                [
                    step(
                        "a",
                        ["requester_manager"],
                        when={"field": "urgency", "op": "==", "value": "asap"},
                    )
                ]
            ),
            [
                "stages[0].steps[0].when.value: ['asap'] not among the field's choices ['standard', 'expedited']"
            ],
        ),
        (
            spec_doc(
                [
                    step(
                        "a",
                        ["requester_manager"],
                        sla={"standard": {"hours": -1, "calendar": "lunar"}},
                    )
                ]
            ),
            [
                "stages[0].steps[0].sla.standard.hours: must be a positive number of hours",
                'stages[0].steps[0].sla.standard.calendar: must be "calendar" or "business"',
            ],
        ),
        (
            spec_doc([step("a", ["requester_manager"])], reference_prefix="cap"),
            ['reference_prefix: "cap" is not 2 to 5 capital letters'],
        ),
        (
            spec_doc([step("a", ["requester_manager"])], amount_field="vendor"),
            [
                'amount_field: "vendor" is a text field; it must be money or number',
                'form.fields[0].name: "amount" is a built-in condition field; rename the field '
                '("amount" may only name the amount_field)',
            ],
        ),
        (spec_doc([step("a", ["requester_manager"])], colour="red"), ['unknown key "colour"']),
        (spec_doc(), ["stages: must be a non-empty list of stages"]),
    ],
)
def test_problems_are_reported_with_their_path(doc, expected):
    assert problems(doc, known_roles=set(), known_users=set()) == expected


def test_all_problems_are_reported_at_once_and_str_joins_them():
    doc = spec_doc([step("a", ["role:cfo"]), step("b", ["field:vendor"], quorum="most")])
    doc["form"]["fields"].append({"name": "kind", "type": "choice", "label": "Kind"})
    doc["form"]["fields"].append({"name": "amount", "type": "money", "label": "Again"})
    del doc["name"]
    with pytest.raises(SpecError) as info:
        parse_spec(doc, known_roles={"ceo"})
    assert str(info.value).splitlines() == [
        "name: required",
        "form.fields[4].choices: a choice field needs choices",
        'form.fields[5].name: duplicate field name "amount"',
        'stages[0].steps[0].approvers: unknown role "cfo"',
        'stages[0].steps[1].approvers: field "vendor" is a text field; field: selectors need a user field',
        'stages[0].steps[1].quorum: must be "all", "any" or a positive integer',
    ]


def test_known_collections_of_none_skip_the_checks():
    parse_spec(spec_doc([step("a", ["role:anything", "user:who@example.org"])]))


def test_reserved_field_names_and_known_departments():
    doc = spec_doc(
        [
            step(
                "a",
                ["requester_manager"],
                when={"field": "department", "op": "in", "value": ["radiology", "moon"]},
            )
        ]
    )
    doc["form"]["fields"].append({"name": "urgency", "type": "text", "label": "U"})
    assert problems(doc, known_departments={"radiology"}) == [
        'form.fields[4].name: "urgency" is a built-in condition field; rename the field '
        '("amount" may only name the amount_field)',
    ]
    doc["form"]["fields"].pop()
    assert problems(doc, known_departments={"radiology"}) == [
        'stages[0].steps[0].when: unknown department "moon"'
    ]
