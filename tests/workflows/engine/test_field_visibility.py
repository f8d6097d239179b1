"""Each form field's visibility class (`phi`, `sensitive`, `open`), the older `phi` flag it
replaces, and `sensitive_hidden_from_roles`: parsed, refused with their paths, round-tripped."""

import pytest
from wf_helpers import spec_doc, step

from apps.workflows.engine import SpecError, field_visibility, parse_spec, spec_to_dict


def _doc(**vendor):
    doc = spec_doc([step("cfo", ["role:cfo"])])
    doc["form"]["fields"][1].update(vendor)  # the "vendor" text field
    return doc


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, "open"),
        ({"visibility": "open"}, "open"),
        ({"visibility": "sensitive"}, "sensitive"),
        ({"visibility": "phi"}, "phi"),
        ({"phi": True}, "phi"),  # a spec written before classes
        ({"phi": False}, "open"),
        ({"phi": True, "visibility": "phi"}, "phi"),  # both, agreeing
        ({"phi": False, "visibility": "sensitive"}, "sensitive"),
    ],
)
def test_classes_and_the_older_flag(keys, expected):
    spec = parse_spec(_doc(**keys))
    vendor = spec.field("vendor")
    assert vendor is not None
    assert vendor.visibility == expected
    assert vendor.phi is (expected == "phi")
    assert field_visibility(_doc(**keys)["form"]["fields"][1]) == expected
    out = spec_to_dict(spec)
    written = out["form"]["fields"][1]
    assert written["visibility"] == expected
    assert "phi" not in written
    assert parse_spec(out) == spec


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (
            {"visibility": "secret"},
            'form.fields[1].visibility: unknown visibility "secret" '
            "(expected one of phi, sensitive, open)",
        ),
        (
            {"visibility": True},
            'form.fields[1].visibility: unknown visibility "True" '
            "(expected one of phi, sensitive, open)",
        ),
        (
            {"phi": True, "visibility": "open"},
            'form.fields[1].phi: "phi": true contradicts "visibility": "open"; '
            'drop "phi" and keep "visibility"',
        ),
        ({"phi": "yes"}, "form.fields[1].phi: must be true or false"),
        (
            {"visibilty": "phi"},
            'form.fields[1]: unknown key "visibilty" (did you mean "visibility"?)',
        ),
    ],
)
def test_bad_classes_are_refused_with_their_path(keys, problem):
    with pytest.raises(SpecError) as info:
        parse_spec(_doc(**keys))
    assert problem in [str(p) for p in info.value.problems]


def test_sensitive_hidden_from_roles_is_checked_like_the_phi_list():
    doc = _doc(visibility="sensitive")
    doc["sensitive_hidden_from_roles"] = ["cfo", "cfo"]
    spec = parse_spec(doc, known_roles={"cfo"})
    assert spec.sensitive_hidden_from_roles == ("cfo",)
    assert parse_spec(spec_to_dict(spec)) == spec
    doc["sensitive_hidden_from_roles"] = ["cfo", "ghost"]
    with pytest.raises(SpecError) as info:
        parse_spec(doc, known_roles={"cfo"})
    assert 'sensitive_hidden_from_roles[1]: unknown role "ghost"' in [
        str(p) for p in info.value.problems
    ]
    doc["sensitive_hidden_from_roles"] = "cfo"
    with pytest.raises(SpecError) as info:
        parse_spec(doc)
    assert "sensitive_hidden_from_roles: must be a list of role keys" in [
        str(p) for p in info.value.problems
    ]
