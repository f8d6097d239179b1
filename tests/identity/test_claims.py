"""The claims mapping (the same code for a sign-in and the settings page's preview) and the
groups-to-roles text the admin edits."""

from dataclasses import dataclass, field

import pytest

from apps.identity.claims import claims_map, group_roles_parse, group_roles_text


@dataclass
class Mapping:
    claim_email: str = "email"
    claim_name: str = "name"
    claim_department: str = "org.department"
    claim_manager: str = "manager"
    claim_groups: str = "groups"
    group_roles: dict = field(
        default_factory=lambda: {"icu": ["utilization_reviewer"], "leads": ["director", "vp"]}
    )


def test_claims_map_reads_nested_claims_and_normalises_emails():
    mapped = claims_map(
        mapping=Mapping(),
        claims={"email": " Nina@Alpha.TEST ", "name": "Nina N.", "org": {"department": "ICU"},
                "manager": "Bob@alpha.test", "groups": ["icu", "leads", "icu", "other"]},
    )  # fmt: skip
    assert mapped.email == "nina@alpha.test"
    assert mapped.department == "ICU"
    assert mapped.manager_email == "bob@alpha.test"
    assert mapped.groups == ("icu", "leads", "other")
    assert mapped.roles == ("director", "utilization_reviewer", "vp")
    assert mapped.managed_roles == ("director", "utilization_reviewer", "vp")


@pytest.mark.parametrize(
    ("claims", "email", "groups"),
    [
        ({}, "", ()),
        ({"email": ["a@b.test"], "groups": "icu"}, "", ("icu",)),  # a list is no email
        ({"email": True, "groups": {"icu": 1}}, "", ()),
        ({"email": "x@alpha.test", "groups": [None, "", "icu"]}, "x@alpha.test", ("icu",)),
    ],
)
def test_claims_map_ignores_claims_of_the_wrong_shape(claims, email, groups):
    mapped = claims_map(mapping=Mapping(), claims=claims)
    assert mapped.email == email
    assert mapped.groups == groups


def test_manager_claim_that_is_no_email_is_ignored():
    assert claims_map(mapping=Mapping(), claims={"manager": "Bob"}).manager_email == ""


def test_group_roles_text_round_trips_and_reports_bad_lines():
    text = "icu: utilization_reviewer\n# a comment\n\nCN=Leads,OU=x: director, vp\nbroken\n: vp"
    mapping, bad = group_roles_parse(text)
    assert mapping == {"icu": ["utilization_reviewer"], "CN=Leads,OU=x": ["director", "vp"]}
    assert bad == ["line 5", "line 6"]
    assert group_roles_parse(group_roles_text(mapping)) == (mapping, [])
