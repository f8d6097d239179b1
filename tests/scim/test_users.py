"""SCIM Users over HTTP: create, read, replace, patch (deactivate), delete, filters, paging,
and SCIM errors for malformed bodies (with nothing half-written)."""

from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from tests.approvals.helpers import pending, submit_capital
from tests.scim.conftest import (
    CORE_USER,
    ENTERPRISE,
    audit_entries,
    scim_error_of,
    user_body,
)


def _create(scim, user_name, **extra):
    response = scim.post("Users", user_body(user_name, **extra))
    assert response.status_code == 201, response.content
    return response.json()


def test_create_makes_a_person_without_a_password_and_audits_it(scim, tenant_a):
    response = scim.post("Users", user_body("Mia.Manager@Alpha.test", title="Ward manager"))
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [CORE_USER, ENTERPRISE]
    assert body["userName"] == "Mia.Manager@Alpha.test"
    assert body["emails"] == [{"value": "mia.manager@alpha.test", "type": "work", "primary": True}]
    assert body["active"] is True
    assert body["externalId"] == "ext-Mia.Manager@Alpha.test"
    assert response["Location"] == f"http://alpha.localhost/scim/v2/Users/{body['id']}"
    assert body["meta"]["location"] == response["Location"]
    with tenant_context(tenant_a):
        user = User.objects.get(pk=int(body["id"]))
        assert user.email == "mia.manager@alpha.test"
        assert user.full_name == "Mia Manager"
        assert user.job_title == "Ward manager"
        assert not user.has_usable_password()
    (entry,) = audit_entries(tenant_a, "scim.user.create")
    assert entry.channel == "scim"
    assert entry.actor_id is None
    assert entry.actor_email.startswith("scim:Entra ID#")
    assert entry.object_id == body["id"]
    got = scim.get(f"Users/{body['id']}")
    assert got.status_code == 200
    assert got.json()["userName"] == "Mia.Manager@Alpha.test"


def test_a_taken_user_name_or_email_is_a_409_uniqueness(scim, tenant_a):
    _create(scim, "mia@alpha.test")
    scim_error_of(scim.post("Users", user_body("MIA@alpha.test")), 409, "uniqueness")
    # An existing account made by invitation has its email as userName.
    scim_error_of(scim.post("Users", user_body("bob@alpha.test")), 409, "uniqueness")
    with tenant_context(tenant_a):
        assert User.objects.filter(email="mia@alpha.test").count() == 1


def test_attributes_countersign_does_not_keep_are_accepted(scim, tenant_a):
    created = _create(scim, "mia@alpha.test")
    response = scim.patch(
        f"Users/{created['id']}",
        [
            {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "555 0100"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Nursing"},
            {"op": "Replace", "path": "name.givenName", "value": "Mira"},
        ],
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"]["givenName"] == "Mira"
    assert "phoneNumbers" not in response.json()


def test_put_replaces_the_person(scim, tenant_a):
    created = _create(scim, "mia@alpha.test")
    body = user_body("mia@alpha.test", given="Mia", family="Moreau", title="Director of nursing")
    response = scim.put(f"Users/{created['id']}", body)
    assert response.status_code == 200, response.content
    assert response.json()["displayName"] == "Mia Moreau"
    assert response.json()["name"]["familyName"] == "Moreau"
    with tenant_context(tenant_a):
        user = User.objects.get(pk=int(created["id"]))
        assert (user.full_name, user.job_title) == ("Mia Moreau", "Director of nursing")
    (entry,) = audit_entries(tenant_a, "scim.user.update")
    assert entry.channel == "scim"
    assert set(entry.detail["changed"]) == {"full_name", "job_title"}


def test_patch_active_false_deactivates_through_the_service(scim, tenant_a):
    created = _create(scim, "mia@alpha.test")
    # Entra ID sends booleans as strings in PATCH.
    response = scim.patch(
        f"Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "False"}]
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    with tenant_context(tenant_a):
        assert not User.objects.get(pk=int(created["id"])).is_active
    (entry,) = audit_entries(tenant_a, "scim.user.update")
    assert entry.detail["deactivated"] is True
    assert entry.channel == "scim"
    # Okta's form: no path, an object of attributes; and back to active.
    response = scim.patch(f"Users/{created['id']}", [{"op": "replace", "value": {"active": True}}])
    assert response.json()["active"] is True


def test_a_deactivated_approvers_open_tasks_go_to_the_manager(scim, tenant_a, bob, carol):
    manager = _create(scim, "mia@alpha.test")
    with tenant_context(tenant_a):
        approval = submit_capital(carol, "9000")
        (task,) = pending(approval)
        assert task.assignee == bob
    response = scim.patch(
        f"Users/{bob.pk}",
        [
            {"op": "add", "path": f"{ENTERPRISE}:manager", "value": manager["id"]},
            {"op": "replace", "path": "active", "value": False},
        ],
    )
    assert response.status_code == 200, response.content
    assert response.json()[ENTERPRISE]["manager"]["value"] == manager["id"]
    with tenant_context(tenant_a):
        (moved,) = pending(approval)
        assert moved.assignee.email == "mia@alpha.test"
        task.refresh_from_db()
        assert task.status == "delegated"
        bob.refresh_from_db()
        assert not bob.is_active
        # The handover itself is audited as the SCIM client, through the scim channel.
        handover = AuditEntry.objects.filter(
            object_type="approvals.task", object_id=str(moved.pk)
        ).first()
        assert handover is not None
        assert handover.channel == "scim"
        assert handover.actor_email.startswith("scim:")
    (entry,) = audit_entries(tenant_a, "scim.user.update")
    assert entry.detail["tasks_moved"] == 1
    assert entry.detail["tasks_left_for_admin"] == 0


def test_delete_deactivates_hands_over_and_hides_the_person(scim, tenant_a, bob, carol, frank):
    with tenant_context(tenant_a):
        bob.manager = frank
        bob.save(update_fields=["manager"])
        approval = submit_capital(carol, "9000")
    response = scim.delete(f"Users/{bob.pk}")
    assert response.status_code == 204
    scim_error_of(scim.get(f"Users/{bob.pk}"), 404)
    scim_error_of(scim.delete(f"Users/{bob.pk}"), 404)
    listed = scim.get("Users", {"filter": 'userName eq "bob@alpha.test"'}).json()
    assert listed["totalResults"] == 0
    with tenant_context(tenant_a):
        bob.refresh_from_db()
        assert not bob.is_active  # kept for the record, never removed
        assert pending(approval)[0].assignee == frank
    (entry,) = audit_entries(tenant_a, "scim.user.delete")
    assert entry.channel == "scim"
    assert entry.detail["tasks_moved"] == 1
    # The directory creating the person again brings the same account back.
    again = scim.post("Users", user_body("bob@alpha.test", given="Bob", family="Approver"))
    assert again.status_code == 201, again.content
    assert again.json()["id"] == str(bob.pk)
    assert again.json()["active"] is True


def test_filters_by_user_name_and_email(scim):
    created = _create(scim, "Mia@Alpha.test")
    by_name = scim.get("Users", {"filter": 'userName eq "mia@alpha.TEST"'}).json()
    assert [r["id"] for r in by_name["Resources"]] == [created["id"]]
    by_email = scim.get("Users", {"filter": 'emails.value eq "carol@alpha.test"'}).json()
    assert [r["userName"] for r in by_email["Resources"]] == ["carol@alpha.test"]
    entra = scim.get("Users", {"filter": 'emails[type eq "work"].value eq "mia@alpha.test"'})
    assert entra.json()["totalResults"] == 1
    by_external = scim.get("Users", {"filter": 'externalId eq "ext-Mia@Alpha.test"'}).json()
    assert by_external["totalResults"] == 1
    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    inactive = scim.get("Users", {"filter": "active eq false"}).json()
    assert [r["id"] for r in inactive["Resources"]] == [created["id"]]
    by_id = scim.get("Users", {"filter": f'id eq "{created["id"]}"'}).json()
    assert by_id["totalResults"] == 1
    both = scim.get(
        "Users", {"filter": 'userName eq "carol@alpha.test" or userName sw "mia@"'}
    ).json()
    assert both["totalResults"] == 2
    nobody = scim.get("Users", {"filter": 'userName eq "nobody@alpha.test"'}).json()
    assert nobody["totalResults"] == 0
    assert nobody["Resources"] == []
    scim_error_of(scim.get("Users", {"filter": 'nickName eq "x"'}), 400, "invalidFilter")
    scim_error_of(scim.get("Users", {"filter": "userName eq"}), 400, "invalidFilter")
    scim_error_of(scim.get("Users", {"filter": 'userName zz "x"'}), 400, "invalidFilter")


def test_pagination(scim, tenant_a):
    with tenant_context(tenant_a):
        total = User.objects.exclude(email__endswith="@countersign.invalid").count()
    first = scim.get("Users", {"startIndex": 1, "count": 2}).json()
    assert first["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert first["totalResults"] == total
    assert (first["startIndex"], first["itemsPerPage"], len(first["Resources"])) == (1, 2, 2)
    second = scim.get("Users", {"startIndex": 3, "count": 2}).json()
    assert second["startIndex"] == 3
    ids = [r["id"] for r in first["Resources"] + second["Resources"]]
    assert len(set(ids)) == 4
    past = scim.get("Users", {"startIndex": total + 1}).json()
    assert (past["totalResults"], past["Resources"]) == (total, [])
    counted = scim.get("Users", {"count": 0}).json()
    assert (counted["totalResults"], counted["itemsPerPage"]) == (total, 0)
    scim_error_of(scim.get("Users", {"count": "many"}), 400, "invalidValue")


def test_malformed_bodies_are_scim_400s_and_nothing_is_lost(scim, tenant_a):
    created = _create(scim, "mia@alpha.test")
    with tenant_context(tenant_a):
        people = User.objects.count()
    scim_error_of(scim.post("Users", "{not json", raw=True), 400, "invalidSyntax")
    scim_error_of(scim.post("Users", ["a list"]), 400, "invalidSyntax")
    scim_error_of(scim.post("Users", {"userName": "x@alpha.test"}), 400, "invalidSyntax")
    scim_error_of(
        scim.post("Users", user_body("x@alpha.test", active="maybe")), 400, "invalidValue"
    )
    scim_error_of(scim.post("Users", {**user_body("x"), "emails": []}), 400, "invalidValue")
    scim_error_of(scim.post("Users", user_body("nul\u0000@alpha.test")), 400, "invalidValue")
    deep: dict = {}
    for _ in range(80):
        deep = {"a": deep}
    scim_error_of(
        scim.post("Users", {**user_body("y@alpha.test"), "x": deep}), 400, "invalidSyntax"
    )
    path = f"Users/{created['id']}"
    scim_error_of(scim.patch(path, []), 400, "invalidSyntax")
    scim_error_of(scim.patch(path, [{"op": "move", "path": "title"}]), 400, "invalidSyntax")
    scim_error_of(
        scim.patch(path, [{"op": "replace", "path": "favouriteColour", "value": "M"}]),
        400,
        "invalidPath",
    )
    scim_error_of(scim.patch(path, [{"op": "remove", "path": "userName"}]), 400, "mutability")
    scim_error_of(scim.patch(path, [{"op": "remove"}]), 400, "noTarget")
    # A valid operation followed by a bad one: the request is refused whole.
    refused = scim.patch(
        path,
        [
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "replace", "path": "active", "value": "perhaps"},
        ],
    )
    scim_error_of(refused, 400, "invalidValue")
    unknown_manager = [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": "999999"}]
    scim_error_of(scim.patch(path, unknown_manager), 400, "invalidValue")
    wrong_type = scim.client.post(
        "/scim/v2/Users", "userName=x", content_type="text/plain", headers=scim._headers()
    )
    scim_error_of(wrong_type, 400, "invalidSyntax")
    with tenant_context(tenant_a):
        assert User.objects.count() == people
        user = User.objects.get(pk=int(created["id"]))
        assert (user.job_title, user.is_active, user.manager_id) == ("", True, None)
    assert audit_entries(tenant_a, "scim.user.update") == []
    scim_error_of(scim.get("Users/not-a-number"), 404)
    scim_error_of(scim.get("Nothing"), 404)
