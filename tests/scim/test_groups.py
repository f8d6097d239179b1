"""SCIM Groups over HTTP: groups map to roles (the tenant administrator's mapping), membership
changes change roles, each one audited as the SCIM client."""

import pytest
from django_tenants.utils import tenant_context

from apps.people.models import Role
from apps.scim.models import ScimGroup
from tests.conftest import sign_in
from tests.scim.conftest import CORE_GROUP, audit_entries, scim_error_of


@pytest.fixture
def cfo_group_mapped(client_a, tenant_a):
    """alice maps the directory group "Finance Approvers" to the cfo role on the settings page."""
    sign_in(client_a, "alice@alpha.test")
    with tenant_context(tenant_a):
        role = Role.objects.get(key="cfo")
    response = client_a.post(
        "/admin/scim/mappings/", {"group_name": "Finance Approvers", "role": role.pk}
    )
    assert response.status_code == 302, response.content
    return role


def _holds(tenant, role, user) -> bool:
    with tenant_context(tenant):
        return role.members.filter(pk=user.pk).exists()


def _group(scim, name, members=()):
    body = {
        "schemas": [CORE_GROUP],
        "displayName": name,
        "externalId": f"ext-{name}",
        "members": [{"value": str(member.pk)} for member in members],
    }
    response = scim.post("Groups", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_a_mapped_group_gives_its_members_the_role(scim, tenant_a, cfo_group_mapped, olivia):
    group = _group(scim, "finance approvers", [olivia])  # names compare without case
    assert group["members"][0]["value"] == str(olivia.pk)
    assert _holds(tenant_a, cfo_group_mapped, olivia)
    (grant,) = audit_entries(tenant_a, "scim.role.grant")
    assert grant.channel == "scim"
    assert grant.actor_email.startswith("scim:")
    assert grant.object_id == str(olivia.pk)
    assert grant.detail["role"] == "cfo"
    (created,) = audit_entries(tenant_a, "scim.group.create")
    assert created.detail["added"] == [olivia.pk]
    user = scim.get(f"Users/{olivia.pk}").json()
    assert user["groups"][0]["display"] == "finance approvers"


def test_membership_changes_change_roles(scim, tenant_a, cfo_group_mapped, olivia, carol):
    group = _group(scim, "Finance Approvers")
    path = f"Groups/{group['id']}"
    added = scim.patch(
        path,
        [
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": str(olivia.pk)}, {"value": str(carol.pk)}],
            }
        ],
    )
    assert added.status_code == 204, added.content
    assert _holds(tenant_a, cfo_group_mapped, olivia)
    assert _holds(tenant_a, cfo_group_mapped, carol)
    # Entra ID removes with a value list, Okta with a filter in the path.
    scim.patch(path, [{"op": "Remove", "path": "members", "value": [{"value": str(olivia.pk)}]}])
    assert not _holds(tenant_a, cfo_group_mapped, olivia)
    assert _holds(tenant_a, cfo_group_mapped, carol)
    removed = scim.patch(path, [{"op": "remove", "path": f'members[value eq "{carol.pk}"]'}])
    assert removed.status_code == 204
    assert not _holds(tenant_a, cfo_group_mapped, carol)
    assert scim.get(path).json()["members"] == []
    revokes = audit_entries(tenant_a, "scim.role.revoke")
    assert [(e.object_id, e.channel) for e in revokes] == [
        (str(olivia.pk), "scim"),
        (str(carol.pk), "scim"),
    ]
    updates = audit_entries(tenant_a, "scim.group.update")
    assert [e.detail["removed"] for e in updates] == [[], [olivia.pk], [carol.pk]]


def test_roles_no_mapping_names_are_left_alone(scim, tenant_a, cfo_group_mapped, bob):
    with tenant_context(tenant_a):
        director = Role.objects.get(key="director")
    group = _group(scim, "Finance Approvers", [bob])
    scim.patch(f"Groups/{group['id']}", [{"op": "replace", "path": "members", "value": []}])
    assert not _holds(tenant_a, cfo_group_mapped, bob)
    assert _holds(tenant_a, director, bob)  # given by hand, not by a group


def test_renaming_and_deleting_a_group(scim, tenant_a, cfo_group_mapped, olivia):
    group = _group(scim, "Finance", [olivia])
    assert not _holds(tenant_a, cfo_group_mapped, olivia)
    renamed = scim.patch(
        f"Groups/{group['id']}",
        [{"op": "replace", "value": {"id": group["id"], "displayName": "Finance Approvers"}}],
    )
    assert renamed.status_code == 204
    assert _holds(tenant_a, cfo_group_mapped, olivia)
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    scim_error_of(scim.get(f"Groups/{group['id']}"), 404)
    assert not _holds(tenant_a, cfo_group_mapped, olivia)
    (deleted,) = audit_entries(tenant_a, "scim.group.delete")
    assert deleted.channel == "scim"
    with tenant_context(tenant_a):
        assert not ScimGroup.objects.exists()


def test_put_filter_paging_and_errors(scim, tenant_a, olivia, carol):
    first = _group(scim, "Nurses", [olivia])
    _group(scim, "Doctors")
    replaced = scim.put(
        f"Groups/{first['id']}",
        {"schemas": [CORE_GROUP], "displayName": "Nurses", "members": [{"value": str(carol.pk)}]},
    )
    assert [m["value"] for m in replaced.json()["members"]] == [str(carol.pk)]
    found = scim.get("Groups", {"filter": 'displayName eq "nurses"'}).json()
    assert [g["id"] for g in found["Resources"]] == [first["id"]]
    page = scim.get("Groups", {"startIndex": 2, "count": 1, "excludedAttributes": "members"}).json()
    assert (page["totalResults"], page["itemsPerPage"]) == (2, 1)
    assert "members" not in page["Resources"][0]
    scim_error_of(
        scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "NURSES"}), 409, "uniqueness"
    )
    scim_error_of(scim.post("Groups", {"schemas": [CORE_GROUP]}), 400, "invalidValue")
    unknown = {"schemas": [CORE_GROUP], "displayName": "X", "members": [{"value": "999999"}]}
    scim_error_of(scim.post("Groups", unknown), 400, "invalidValue")
    scim_error_of(scim.post("Groups", {**unknown, "members": "everyone"}), 400, "invalidValue")
    path = f"Groups/{first['id']}"
    scim_error_of(
        scim.patch(path, [{"op": "add", "path": "owners", "value": []}]), 400, "invalidPath"
    )
    scim_error_of(scim.get("Groups", {"filter": 'members eq "1"'}), 400, "invalidFilter")
    with tenant_context(tenant_a):
        assert ScimGroup.objects.count() == 2
        assert list(ScimGroup.objects.get(pk=first["id"]).members.all()) == [carol]


def test_a_deleted_person_leaves_their_groups_and_mapped_roles(
    scim, tenant_a, cfo_group_mapped, olivia
):
    group = _group(scim, "Finance Approvers", [olivia])
    assert _holds(tenant_a, cfo_group_mapped, olivia)
    assert scim.delete(f"Users/{olivia.pk}").status_code == 204
    assert not _holds(tenant_a, cfo_group_mapped, olivia)
    assert scim.get(f"Groups/{group['id']}").json()["members"] == []
    (revoke,) = audit_entries(tenant_a, "scim.role.revoke")
    assert (revoke.channel, revoke.detail["because"]) == ("scim", "user deleted")


def test_mapping_a_group_later_gives_its_members_the_role_as_the_admin(
    client_a, scim, tenant_a, olivia
):
    _group(scim, "Quality Reviewers", [olivia])
    sign_in(client_a, "alice@alpha.test")
    with tenant_context(tenant_a):
        role = Role.objects.get(key="utilization_reviewer")
    client_a.post("/admin/scim/mappings/", {"group_name": "Quality Reviewers", "role": role.pk})
    assert _holds(tenant_a, role, olivia)
    (grant,) = audit_entries(tenant_a, "scim.role.grant")
    assert (grant.channel, grant.actor_email) == ("web", "alice@alpha.test")
    page = client_a.get("/admin/scim/")
    assert b"Quality Reviewers" in page.content
    with tenant_context(tenant_a):
        from apps.scim.models import GroupRoleMapping

        mapping = GroupRoleMapping.objects.get()
    client_a.post(f"/admin/scim/mappings/{mapping.pk}/remove/")
    assert not _holds(tenant_a, role, olivia)
