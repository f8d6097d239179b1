"""The optional `phi_hidden_from_roles` spec key: parsed, validated with paths, round-tripped."""

import pytest
from wf_helpers import spec_doc, step

from apps.workflows.engine import SpecError, parse_spec, spec_to_dict


def _doc(hidden):
    doc = spec_doc([step("cfo", ["role:cfo"])])
    if hidden is not ...:
        doc["phi_hidden_from_roles"] = hidden
    return doc


@pytest.mark.parametrize(
    ("hidden", "known", "expected"),
    [
        (..., None, ()),
        ([], None, ()),
        (["cfo"], None, ("cfo",)),
        (["cfo", "cfo"], None, ("cfo",)),
        (["cfo", "finance_approver"], {"cfo", "finance_approver"}, ("cfo", "finance_approver")),
    ],
)
def test_valid_values(hidden, known, expected):
    spec = parse_spec(_doc(hidden), known_roles=known)
    assert spec.phi_hidden_from_roles == expected
    assert parse_spec(spec_to_dict(spec)) == spec


@pytest.mark.parametrize(
    ("hidden", "known", "problem"),
    [
        ("cfo", None, "phi_hidden_from_roles: must be a list of role keys"),
        (None, None, "phi_hidden_from_roles: must be a list of role keys"),
        ([3], None, "phi_hidden_from_roles: must be a list of role keys"),
        (["Not A Slug"], None, 'phi_hidden_from_roles[0]: role key "Not A Slug" is not a slug'),
        (["cfo", "ghost"], {"cfo"}, 'phi_hidden_from_roles[1]: unknown role "ghost"'),
    ],
)
def test_invalid_values_are_reported_with_their_path(hidden, known, problem):
    with pytest.raises(SpecError) as info:
        parse_spec(_doc(hidden), known_roles=known)
    assert problem in [str(p) for p in info.value.problems]
