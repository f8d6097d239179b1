"""The designer pages: who may use them, and what each action does to the draft and versions."""

import html
import json
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.workflows.models import WorkflowDefinition, WorkflowVersion
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(in_tenant_a, alice):
    from apps.workflows.services import workflow_create

    return workflow_create(
        actor=alice, key="travel", name="Travel", category="travel", reference_prefix="TRV"
    )


@pytest.fixture
def alice_client(client_a):
    sign_in(client_a, "alice@alpha.test")
    return client_a


def edit(client, definition, action, **data):
    return client.post(f"/admin/workflows/{definition.pk}/edit/{action}/", data)


def draft(definition):
    definition.refresh_from_db()
    return definition.draft_spec


def pages(pk):
    base = f"/admin/workflows/{pk}"
    return [
        ("get", "/admin/workflows/", {}),
        (
            "post",
            "/admin/workflows/new/",
            {"name": "X", "key": "x", "category": "x", "reference_prefix": "XX"},
        ),
        ("post", "/admin/workflows/install/", {"template_key": "capital-purchase"}),
        ("get", f"{base}/", {}),
        ("get", f"{base}/validate/", {}),
        ("get", f"{base}/preview/", {}),
        ("post", f"{base}/preview/", {"requester": "carol@alpha.test", "urgency": "standard"}),
        ("post", f"{base}/edit/add-stage/", {"name": "Review"}),
        ("post", f"{base}/edit/basics/", {"name": "T", "category": "t", "reference_prefix": "TT"}),
        ("post", f"{base}/publish/", {"note": "n"}),
        ("get", f"{base}/import/", {}),
        ("post", f"{base}/import/", {"text": "{}"}),
        ("get", f"{base}/export/?source=draft", {}),
    ]


PAGE_IDS = [f"{m} {p}" for m, p, _ in pages("<pk>")]


@pytest.mark.parametrize("index", range(len(PAGE_IDS)), ids=PAGE_IDS)
def test_bob_is_refused_everywhere_and_nothing_changes(client_a, definition, index):
    method, path, data = pages(definition.pk)[index]
    sign_in(client_a, "bob@alpha.test")
    workflows = WorkflowDefinition.objects.count()
    response = getattr(client_a, method)(path, data)
    assert response.status_code == 403
    assert draft(definition)["stages"] == []
    assert not WorkflowVersion.objects.filter(definition=definition).exists()
    assert WorkflowDefinition.objects.count() == workflows


@pytest.mark.parametrize("index", range(len(PAGE_IDS)), ids=PAGE_IDS)
def test_anonymous_goes_to_the_login_page(client_a, definition, index):
    method, path, data = pages(definition.pk)[index]
    response = getattr(client_a, method)(path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("index", [0, 3, 7], ids=[PAGE_IDS[i] for i in (0, 3, 7)])
def test_a_tenant_b_session_is_not_valid_on_tenant_a(client_b, definition, index):
    method, path, data = pages(definition.pk)[index]
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get("/admin/workflows/").status_code == 403  # dave is no admin on B either
    response = getattr(client_b, method)(path, data, HTTP_HOST="alpha.localhost")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert draft(definition)["stages"] == []


def test_list_new_workflow_and_template_install(alice_client, in_tenant_a):
    page = alice_client.get("/admin/workflows/").content.decode()
    assert "Install from template library" in page
    assert "Capital purchase" in page
    assert "Staffing" in page
    response = alice_client.post(
        "/admin/workflows/new/",
        {"name": "Travel", "key": "travel", "category": "travel", "reference_prefix": "TRV"},
    )
    created = WorkflowDefinition.objects.get(key="travel")
    assert response["Location"] == f"/admin/workflows/{created.pk}/"
    assert created.draft_spec["reference_prefix"] == "TRV"
    duplicate = alice_client.post(
        "/admin/workflows/new/",
        {"name": "Again", "key": "travel", "category": "travel", "reference_prefix": "TRV"},
    )
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()

    alice_client.post("/admin/workflows/install/", {"template_key": "capital-purchase"})
    installed = WorkflowDefinition.objects.get(key="capital-purchase")
    assert installed.current_version.number == 1
    page = alice_client.get("/admin/workflows/").content.decode()
    assert "Capital purchase" in page
    assert "v1" in page
    assert "installed" in page
    designer = alice_client.get(f"/admin/workflows/{installed.pk}/").content.decode()
    assert "Director review" in designer
    assert "role:director" in designer


def test_alice_designs_validates_and_publishes_two_versions(alice_client, definition):
    from apps.people.services import role_ensure

    role_ensure(actor=None, key="travel_desk", name="Travel desk")
    edit(
        alice_client,
        definition,
        "add-field",
        name="cost",
        label="Cost",
        type="money",
        required="on",
        min="1",
    )
    edit(alice_client, definition, "add-field", name="buddy", label="Buddy", type="user")
    edit(
        alice_client,
        definition,
        "basics",
        name="Travel request",
        category="travel",
        reference_prefix="TRV",
        amount_field="cost",
    )
    edit(alice_client, definition, "add-stage", name="Desk check")
    edit(alice_client, definition, "add-step", stage="0", name="Travel desk")
    response = edit(
        alice_client,
        definition,
        "step",
        stage="0",
        step="0",
        name="Travel desk",
        key="travel_desk",
        approvers=["role:travel_desk", "field:buddy"],
        quorum="number",
        quorum_n="1",
        on_reject="return_to_requester",
        assignment="each",
        authority="on",
        combinator="any",
        when_field_0="cost",
        when_op_0=">",
        when_value_0="500",
        when_field_1="urgency",
        when_op_1="==",
        when_value_1="expedited",
        when_field_2="",
        when_op_2="==",
        sla_standard="24",
        sla_expedited="",
        sla_calendar="business",
    )
    assert response.status_code == 302
    step = draft(definition)["stages"][0]["steps"][0]
    assert step == {
        "key": "travel_desk",
        "name": "Travel desk",
        "approvers": ["role:travel_desk", "field:buddy"],
        "quorum": 1,
        "on_reject": "return_to_requester",
        "authority": True,
        "assignment": "each",
        "when": {
            "any": [
                {"field": "cost", "op": ">", "value": 500},
                {"field": "urgency", "op": "==", "value": "expedited"},
            ]
        },
        "sla": {"standard": {"hours": 24, "calendar": "business"}},
    }
    assert draft(definition)["amount_field"] == "cost"

    page = alice_client.get(f"/admin/workflows/{definition.pk}/validate/").content.decode()
    assert "No problems found" in page

    response = alice_client.post(f"/admin/workflows/{definition.pk}/publish/", {"note": "First"})
    definition.refresh_from_db()
    assert definition.current_version.number == 1
    first_spec = definition.current_version.spec
    assert definition.draft_spec == {}
    page = alice_client.get(response["Location"]).content.decode()
    assert "Published version 1." in page
    assert "First" in page
    assert "Alice Admin" in page

    edit(alice_client, definition, "add-stage", name="Finance")
    edit(alice_client, definition, "add-step", stage="1", name="Finance")
    edit(
        alice_client,
        definition,
        "step",
        stage="1",
        step="0",
        name="Finance",
        key="finance",
        approvers=["requester_manager"],
        quorum="any",
        on_reject="deny",
        assignment="each",
    )
    edit(alice_client, definition, "move-stage", stage="1", direction="up")
    assert [s["key"] for s in draft(definition)["stages"]] == ["finance", "desk_check"]
    alice_client.post(f"/admin/workflows/{definition.pk}/publish/", {"note": "Second"})
    versions = {v.number: v for v in WorkflowVersion.objects.filter(definition=definition)}
    assert sorted(versions) == [1, 2]
    assert versions[1].spec == first_spec
    assert versions[1].note == "First"
    assert [s["key"] for s in versions[2].spec["stages"]] == ["finance", "desk_check"]
    page = alice_client.get(f"/admin/workflows/{definition.pk}/").content.decode()
    assert "v2 published" in page
    assert "Second" in page


def test_field_and_stage_removal_and_bad_input(alice_client, definition):
    edit(alice_client, definition, "add-field", name="cost", label="Cost", type="money")
    response = edit(alice_client, definition, "add-field", name="Bad Name", label="x", type="text")
    assert response.status_code == 400  # shown on the fields section, not after a redirect
    assert "Start with a lowercase letter" in response.content.decode()
    edit(
        alice_client,
        definition,
        "field",
        index="0",
        name="total",
        label="Total",
        type="number",
        max="10",
    )
    assert draft(definition)["form"]["fields"] == [
        {
            "name": "total",
            "type": "number",
            "label": "Total",
            "required": False,
            "help": "",
            "visibility": "open",
            "max": 10,
        }
    ]
    edit(alice_client, definition, "remove-field", index="0")
    edit(alice_client, definition, "add-stage", name="A")
    edit(alice_client, definition, "stage", stage="0", name="Alpha", key="alpha")
    assert draft(definition)["stages"] == [{"key": "alpha", "name": "Alpha", "steps": []}]
    response = edit(alice_client, definition, "remove-stage", stage="5")
    assert "no longer exists" in alice_client.get(response["Location"]).content.decode()
    edit(alice_client, definition, "remove-stage", stage="0")
    assert draft(definition)["stages"] == []
    assert draft(definition)["form"]["fields"] == []


def test_validate_shows_the_path_of_an_unknown_role(alice_client, definition):
    spec = dict(draft(definition))
    spec["stages"] = [
        {
            "key": "one",
            "name": "One",
            "steps": [{"key": "a", "name": "A", "approvers": ["requester_manager"]}],
        },
        {
            "key": "two",
            "name": "Two",
            "steps": [{"key": "b", "name": "B", "approvers": ["role:no_such_cfo"]}],
        },
    ]
    definition.draft_spec = spec
    definition.save()
    page = alice_client.get(f"/admin/workflows/{definition.pk}/validate/").content.decode()
    assert "1 problem to fix" in page
    assert "stages[1].steps[0].approvers: unknown role &quot;no_such_cfo&quot;" in page
    response = alice_client.post(f"/admin/workflows/{definition.pk}/publish/", {"note": ""})
    assert response.status_code == 400
    assert "unknown role" in response.content.decode()
    assert not WorkflowVersion.objects.filter(definition=definition).exists()


def test_preview_of_capital_purchase_lists_director_vp_and_cfo(alice_client, in_tenant_a, alice):
    from apps.accounts.models import User
    from apps.people.models import Role
    from apps.people.services import department_ensure, role_set_members
    from apps.workflows.services import template_pack_install

    (capital,) = template_pack_install(actor=alice, template_keys=["capital-purchase"])
    department_ensure(actor=None, key="radiology", name="Radiology")
    people = {
        "director": User.objects.get(email="bob@alpha.test"),
        "vp": User.objects.get(email="carol@alpha.test"),
        "cfo": User.objects.create_user(
            f"cfo-{uuid4().hex[:8]}@alpha.test", "x" * 16, full_name="Chris Finance"
        ),
    }
    for key, user in people.items():
        role_set_members(actor=alice, role=Role.objects.get(key=key), members=[user])
    sample = {
        "requester": "alice@alpha.test",
        "urgency": "standard",
        "department": "radiology",
        "f_item_description": "Portable ultrasound",
        "f_vendor": "Acme Imaging",
        "f_amount": "120000",
        "f_cost_centre": "4100-RAD",
        "f_owning_department": "radiology",
        "f_justification": "Replacing a failed unit.",
    }
    page = alice_client.post(f"/admin/workflows/{capital.pk}/preview/", sample).content.decode()
    route = page[page.index('data-testid="route"') :]
    positions = [route.index(name) for name in ("Director review", "VP review", "CFO approval")]
    assert positions == sorted(positions)
    assert "Bob Approver" in route
    assert "Carol Requester" in route
    assert "Chris Finance" in route
    assert "Board approval" in route
    assert "condition not met" in route
    assert "approved</span>" in route
    assert "Alice Admin" not in route  # the requester never approves their own request
    assert not WorkflowVersion.objects.filter(definition=capital, number=2).exists()

    role_set_members(actor=alice, role=Role.objects.get(key="cfo"), members=[])
    page = alice_client.post(f"/admin/workflows/{capital.pk}/preview/", sample).content.decode()
    assert 'data-testid="route-exception"' in page

    bad = {**sample, "f_amount": "", "f_cost_centre": "no spaces allowed"}
    page = alice_client.post(f"/admin/workflows/{capital.pk}/preview/", bad).content.decode()
    assert "sample data does not validate" in page
    assert "This field is required." in page


def test_import_and_export(alice_client, definition):
    edit(alice_client, definition, "add-stage", name="Review")
    edit(alice_client, definition, "add-step", stage="0", name="Manager")
    edit(
        alice_client,
        definition,
        "step",
        stage="0",
        step="0",
        name="Manager",
        key="manager",
        approvers=["requester_manager"],
        quorum="any",
        on_reject="deny",
        assignment="each",
    )
    before = draft(definition)
    base = f"/admin/workflows/{definition.pk}"

    response = alice_client.get(f"{base}/export/?source=draft")
    assert response["Content-Disposition"] == 'attachment; filename="travel-draft.json"'
    exported = json.loads(response.content)
    assert exported == before

    response = alice_client.post(f"{base}/import/", {"text": '{"key": "travel",\n "name": }'})
    assert response.status_code == 400
    assert (
        "This is not valid JSON: line 2, column 10: Expecting value." in response.content.decode()
    )
    assert draft(definition) == before

    wrong = {
        **exported,
        "stages": [
            {
                "key": "s",
                "name": "S",
                "steps": [{"key": "x", "name": "X", "approvers": ["role:no_such_role"]}],
            }
        ],
    }
    response = alice_client.post(f"{base}/import/", {"text": json.dumps(wrong)})
    assert response.status_code == 400
    assert "stages[0].steps[0].approvers: unknown role" in response.content.decode()
    other = {**exported, "key": "someone-else"}
    response = alice_client.post(f"{base}/import/", {"text": json.dumps(other)})
    assert "not for &quot;travel&quot;" in response.content.decode()
    assert draft(definition) == before

    changed = {**exported, "name": "Travel (imported)"}
    upload = SimpleUploadedFile("t.json", json.dumps(changed).encode(), "application/json")
    response = alice_client.post(f"{base}/import/", {"file": upload})
    assert response.status_code == 302
    assert draft(definition)["name"] == "Travel (imported)"

    alice_client.post(f"{base}/publish/", {"note": ""})
    response = alice_client.get(f"{base}/export/")
    assert response["Content-Disposition"] == 'attachment; filename="travel-v1.json"'
    assert json.loads(response.content)["name"] == "Travel (imported)"
    assert alice_client.get(f"{base}/export/?version=7").status_code == 404

    edit(alice_client, definition, "add-stage", name="Extra")
    edit(alice_client, definition, "discard")
    assert draft(definition) == {}
    page = alice_client.get(f"{base}/").content.decode()
    assert "Extra" not in page
    assert "Review" in page


# --- minimum necessary: field classes and the roles that may not see them ------------------------


def test_designer_sets_a_field_class_and_the_hidden_roles_and_they_round_trip(
    alice_client, definition
):
    from apps.workflows.engine import parse_spec, spec_to_dict
    from apps.workflows.services import workflow_spec_check

    edit(alice_client, definition, "add-field", name="patient_name", label="Patient", type="text",
         visibility="phi")  # fmt: skip
    edit(alice_client, definition, "add-field", name="income", label="Income", type="money",
         visibility="sensitive")  # fmt: skip
    edit(alice_client, definition, "add-field", name="cost", label="Cost", type="money")
    edit(alice_client, definition, "field", index="2", name="cost", label="Cost", type="money",
         visibility="open")  # fmt: skip
    response = edit(
        alice_client,
        definition,
        "minimum-necessary",
        phi_hidden_from_roles=["finance_approver", "cfo"],
        sensitive_hidden_from_roles=["hr"],
    )
    assert response.status_code == 302
    spec = draft(definition)
    assert [f["visibility"] for f in spec["form"]["fields"]] == ["phi", "sensitive", "open"]
    assert spec["phi_hidden_from_roles"] == ["finance_approver", "cfo"]
    assert spec["sensitive_hidden_from_roles"] == ["hr"]
    edit(alice_client, definition, "add-stage", name="Review")
    edit(alice_client, definition, "add-step", stage="0", name="CFO")
    parsed = workflow_spec_check(
        {**draft(definition), "stages": [{"key": "review", "name": "Review", "steps": [
            {"key": "cfo", "name": "CFO", "approvers": ["role:cfo"]}]}]}
    )  # fmt: skip
    assert parsed.field("patient_name").visibility == "phi"
    assert parsed.field("income").visibility == "sensitive"
    assert parsed.phi_hidden_from_roles == ("finance_approver", "cfo")
    assert parse_spec(spec_to_dict(parsed)) == parsed

    page = alice_client.get(f"/admin/workflows/{definition.pk}/").content.decode()
    assert 'data-testid="visibility-patient_name"><span class="badge badge-denied">PHI' in page
    assert '<option value="sensitive" selected>' in page
    assert '<option value="finance_approver" selected>' in page
    # Clearing the roles drops the keys.
    edit(alice_client, definition, "minimum-necessary")
    assert "phi_hidden_from_roles" not in draft(definition)


def test_designer_refuses_a_bad_class_or_role_on_the_field(alice_client, definition):
    edit(alice_client, definition, "add-field", name="mrn", label="MRN", type="text")
    before = draft(definition)
    response = edit(alice_client, definition, "field", index="0", name="mrn", label="MRN",
                    type="text", visibility="secret")  # fmt: skip
    assert response.status_code == 400
    text = response.content.decode()
    assert "“secret” is not a visibility; choose phi, sensitive or open." in text
    # Shown in the field's own row, which is opened.
    row = text[text.index('id="field-0"') :]
    assert row.index("is not a visibility") < row.index("Edit mrn")
    assert draft(definition) == before
    response = edit(alice_client, definition, "minimum-necessary", phi_hidden_from_roles=["ghost"])
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    section = text[text.index('id="minimum"') :]
    assert "“ghost” is not one of this tenant's roles." in section[: section.index("</section>")]


def test_validate_shows_a_bad_class_of_an_imported_spec_on_the_field(alice_client, definition):
    from apps.workflows.services import workflow_draft_save

    spec = dict(draft(definition))
    spec["form"] = {"fields": [{"name": "mrn", "type": "text", "label": "MRN",
                                "visibility": "private"}]}  # fmt: skip
    workflow_draft_save(actor=None, definition=definition, spec=spec)
    page = html.unescape(
        alice_client.get(f"/admin/workflows/{definition.pk}/validate/").content.decode()
    )
    message = 'form.fields[0].visibility: unknown visibility "private"'
    assert message in page
    row = page[page.index('id="field-0"') :]
    assert message in row[: row.index("Edit mrn")]


def test_outsiders_cannot_change_minimum_necessary(client_a, definition):
    sign_in(client_a, "bob@alpha.test")
    response = edit(client_a, definition, "minimum-necessary", phi_hidden_from_roles=["cfo"])
    assert response.status_code == 403
    assert "phi_hidden_from_roles" not in draft(definition)
