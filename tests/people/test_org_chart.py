"""The org chart as tenant data: a tenant admin sets managers, departments and roles on a page,
through the API and by CSV import (dry run first, refused rows reported), and the designer's route
preview follows."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.people.models import Department, Role
from apps.workflows.models import WorkflowDefinition
from tests.api.conftest import ApiClient, error_of, key_for
from tests.conftest import host_of, sign_in

pytestmark = pytest.mark.django_db


def _reset_managers(tenant) -> None:
    with tenant_context(tenant):
        User.objects.update(manager=None)


@pytest.fixture
def chart(tenant_a, in_a):
    """Tenant A with nobody's manager set (the shared world may have some from other tests)."""
    _reset_managers(tenant_a)
    yield
    _reset_managers(tenant_a)


def person(tenant, email) -> User:
    with tenant_context(tenant):
        return User.objects.select_related("manager").get(email=email)


# --- the page -------------------------------------------------------------------------------


def test_admin_sets_a_manager_on_the_person_page_and_it_is_audited(
    chart, tenant_a, as_alice, carol, victor
):
    page = as_alice.get(f"/admin/people/people/{carol.pk}/")
    assert page.status_code == 200
    with tenant_context(tenant_a):
        reviewer = Role.objects.get(key="utilization_reviewer")
        radiology = Department.objects.get(key="radiology")
    response = as_alice.post(
        f"/admin/people/people/{carol.pk}/",
        {
            "manager": victor.pk,
            "job_title": "Radiology nurse",
            "departments": [radiology.pk],
            "roles": [reviewer.pk],
        },
    )
    assert response.status_code == 302
    saved = person(tenant_a, "carol@alpha.test")
    assert saved.manager == victor
    assert saved.job_title == "Radiology nurse"
    with tenant_context(tenant_a):
        assert list(saved.roles.values_list("key", flat=True)) == ["utilization_reviewer"]
        entry = AuditEntry.objects.filter(
            object_type="accounts.user", object_id=str(carol.pk)
        ).latest("sequence")
        assert entry.actor_email == "alice@alpha.test"
        assert entry.channel == "web"
        assert "manager" in str(entry.detail)
    users = as_alice.get("/admin/users/").content.decode()
    assert 'data-testid="manager-carol@alpha.test">Victor Vice-President<' in users
    # Clearing the manager is one choice away.
    as_alice.post(
        f"/admin/people/people/{carol.pk}/",
        {"manager": "", "job_title": "Radiology nurse", "departments": [radiology.pk]},
    )
    assert person(tenant_a, "carol@alpha.test").manager is None


def test_a_manager_loop_or_self_is_refused_on_the_field(chart, tenant_a, as_alice, bob, victor):
    as_alice.post(f"/admin/people/people/{bob.pk}/", {"manager": victor.pk})
    assert person(tenant_a, "bob@alpha.test").manager == victor
    response = as_alice.post(f"/admin/people/people/{victor.pk}/", {"manager": bob.pk})
    assert response.status_code == 400
    (message,) = response.context["form"].errors["manager"]
    assert message.startswith("This would make a loop: victor@alpha.test → bob@alpha.test")
    assert person(tenant_a, "victor@alpha.test").manager is None
    # The person is not offered as their own manager at all.
    page = as_alice.get(f"/admin/people/people/{victor.pk}/")
    assert victor.pk not in [u.pk for u in page.context["form"].fields["manager"].queryset]


def test_people_pages_refuse_non_admins_and_other_tenants(chart, tenant_a, client_a, carol, dave):
    assert sign_in(client_a, "bob@alpha.test").status_code == 302
    assert client_a.get(f"/admin/people/people/{carol.pk}/").status_code == 403
    assert client_a.post(f"/admin/people/people/{carol.pk}/", {"manager": ""}).status_code == 403
    assert client_a.get("/admin/people/import/").status_code == 403
    other = Client(HTTP_HOST=host_of("bravo"))
    assert sign_in(other, "dave@bravo.test").status_code == 302
    with tenant_context(tenant_a):
        alice = User.objects.get(email="alice@alpha.test")
    assert other.get(f"/admin/people/people/{alice.pk}/").status_code in (403, 404)
    assert person(tenant_a, "carol@alpha.test").manager is None


# --- the API --------------------------------------------------------------------------------


def test_api_sets_a_manager_roles_and_departments(chart, tenant_a, alice, carol, victor):
    api = ApiClient("alpha.localhost", key_for(tenant_a, alice))
    response = api.client.patch(
        f"/api/v1/people/{carol.pk}",
        {"manager": "Victor@alpha.test", "roles": ["director"], "departments": ["radiology"]},
        content_type="application/json",
        headers=api.headers(),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["manager"] == "victor@alpha.test"
    assert body["roles"] == ["director"]
    assert body["departments"] == ["radiology"]
    assert person(tenant_a, "carol@alpha.test").manager == victor
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.filter(
            object_type="accounts.user", object_id=str(carol.pk)
        ).latest("sequence")
        assert (entry.actor_email, entry.channel) == ("alice@alpha.test", "api")
    listed = api.get("/api/v1/people", {"page_size": "200"}).json()["results"]
    assert {p["email"]: p["manager"] for p in listed}["carol@alpha.test"] == "victor@alpha.test"
    assert not any(p["email"].endswith("@countersign.invalid") for p in listed)
    # Restore carol's roles and department for the other tests.
    api.client.patch(
        f"/api/v1/people/{carol.pk}",
        {"roles": [], "manager": None},
        content_type="application/json",
        headers=api.headers(),
    )
    assert person(tenant_a, "carol@alpha.test").manager is None


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"manager": "nobody@alpha.test"}, "manager", "invalid_input"),
        ({"roles": ["no_such_role"]}, "roles", "invalid_input"),
        ({"departments": ["nowhere"]}, "departments", "invalid_input"),
        ({"manager": "carol@alpha.test"}, "manager", "invalid_input"),
    ],
)
def test_api_refuses_bad_changes_with_a_field_error(
    chart, tenant_a, alice, carol, body, field, code
):
    api = ApiClient("alpha.localhost", key_for(tenant_a, alice))
    response = api.client.patch(
        f"/api/v1/people/{carol.pk}", body, content_type="application/json", headers=api.headers()
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert field in error["fields"]
    assert person(tenant_a, "carol@alpha.test").manager is None


def test_api_refuses_non_admins_keys_without_admin_scope_and_other_tenants(
    chart, tenant_a, tenant_b, alice, bob, carol, dave
):
    def patch(api: ApiClient, pk: int):
        return api.client.patch(
            f"/api/v1/people/{pk}",
            {"manager": "alice@alpha.test"},
            content_type="application/json",
            headers=api.headers(),
        )

    non_admin = ApiClient("alpha.localhost", key_for(tenant_a, bob))
    assert non_admin.get("/api/v1/people").status_code == 403
    assert patch(non_admin, carol.pk).status_code == 403
    narrow = ApiClient("alpha.localhost", key_for(tenant_a, alice, scopes=["requests:read"]))
    assert narrow.get("/api/v1/people").status_code == 403
    assert patch(narrow, carol.pk).status_code == 403
    with tenant_context(tenant_b):
        dave.is_tenant_admin = True
        dave.save(update_fields=["is_tenant_admin"])
    try:
        bravo = ApiClient("bravo.localhost", key_for(tenant_b, dave))
        listed = bravo.get("/api/v1/people").json()["results"]
        assert all(p["email"].endswith("@bravo.test") for p in listed)
        assert patch(bravo, carol.pk).status_code == 404
        # An alpha key on bravo's host is not a key there.
        alpha_key = key_for(tenant_a, alice)
        assert ApiClient("bravo.localhost", alpha_key).get("/api/v1/people").status_code == 401
    finally:
        with tenant_context(tenant_b):
            dave.is_tenant_admin = False
            dave.save(update_fields=["is_tenant_admin"])
    assert person(tenant_a, "carol@alpha.test").manager is None


# --- CSV import -----------------------------------------------------------------------------

CSV = (
    "email,manager_email,job_title\n"
    "carol@alpha.test,victor@alpha.test,Radiology nurse\n"
    "ghost@alpha.test,victor@alpha.test,\n"  # not a user here
    "bob@alpha.test,victor@alpha.test,Director\n"
    "victor@alpha.test,bob@alpha.test,\n"  # closes a loop with the row above
    "frank@alpha.test,nobody@alpha.test,\n"  # unknown manager
)


def upload(client: Client, text: str | bytes, name: str = "chart.csv"):
    raw = text.encode() if isinstance(text, str) else text
    handle = io.BytesIO(raw)
    handle.name = name
    return client.post("/admin/people/import/", {"file": handle})


def test_csv_import_dry_run_reports_each_row_then_applies_the_accepted_ones(
    chart, tenant_a, as_alice, victor
):
    preview = upload(as_alice, CSV)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.applied
    statuses = {row.line: row.status for row in result.rows}
    assert statuses == {2: "change", 3: "refused", 4: "change", 5: "refused", 6: "refused"}
    errors = {row.line: row.errors for row in result.rows}
    assert "invite them first" in errors[3][0]
    assert errors[5][0].startswith("This would make a loop")
    assert "nobody@alpha.test" in errors[6][0]
    body = preview.content.decode()
    assert "Dry run: nothing is saved yet" in body
    assert "manager: none → Victor Vice-President" in body
    assert person(tenant_a, "carol@alpha.test").manager is None  # nothing saved by the dry run

    text = preview.context["apply_form"].initial["csv_text"]
    applied = as_alice.post("/admin/people/import/", {"csv_text": text})
    assert applied.status_code == 200
    assert applied.context["result"].applied
    assert "Applied 2 change(s); 3 row(s) refused and left unchanged." in applied.content.decode()
    assert person(tenant_a, "carol@alpha.test").manager == victor
    assert person(tenant_a, "carol@alpha.test").job_title == "Radiology nurse"
    assert person(tenant_a, "bob@alpha.test").manager == victor
    assert person(tenant_a, "victor@alpha.test").manager is None
    assert person(tenant_a, "frank@alpha.test").manager is None
    with tenant_context(tenant_a):
        User.objects.filter(email__in=["carol@alpha.test", "bob@alpha.test"]).update(job_title="")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email,boss\ncarol@alpha.test,x\n", "Unknown column boss"),
        (b"manager_email\nvictor@alpha.test\n", "including email"),
        (b"email,manager_email\n", "no people"),
        ("email\ncarol@alpha.test\n".encode("utf-16"), "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_csv_file_problems_are_shown_on_the_file_field(chart, as_alice, content, message):
    response = upload(as_alice, content)
    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert message in error


def test_csv_import_through_the_api_with_dry_run(chart, tenant_a, alice, victor):
    api = ApiClient("alpha.localhost", key_for(tenant_a, alice))
    text = "email,manager_email,roles\ncarol@alpha.test,victor@alpha.test,\nx@alpha.test,,\n"
    dry = api.post("/api/v1/people/import", {"csv": text})
    assert dry.status_code == 200, dry.content
    assert dry.json()["applied"] is False
    assert [r["status"] for r in dry.json()["rows"]] == ["change", "refused"]
    assert person(tenant_a, "carol@alpha.test").manager is None
    done = api.post("/api/v1/people/import", {"csv": text, "dry_run": False})
    assert done.json()["applied"] is True
    assert person(tenant_a, "carol@alpha.test").manager == victor
    bad = api.post("/api/v1/people/import", {"csv": "who\nx\n"})
    assert bad.status_code == 400
    assert "file" in error_of(bad)["fields"]
    anonymous = ApiClient("alpha.localhost")
    assert anonymous.post("/api/v1/people/import", {"csv": text}).status_code in (401, 403)


# --- the route preview follows --------------------------------------------------------------


def test_route_preview_follows_the_manager_set_by_import(chart, tenant_a, as_alice, victor, frank):
    with tenant_context(tenant_a):
        staffing = WorkflowDefinition.objects.get(key="staffing-request")
    sample = {
        "requester": "carol@alpha.test",
        "urgency": "standard",
        "department": "radiology",
        "f_request_type": "Overtime",
        "f_hiring_department": "radiology",
        "f_position_title": "Night nurse",
        "f_fte": "1",
        "f_annual_cost": "20000",
        "f_budgeted": "Yes",
        "f_justification": "Winter demand.",
    }

    def manager_row() -> str:
        page = as_alice.post(f"/admin/workflows/{staffing.pk}/preview/", sample).content.decode()
        route = page[page.index('data-testid="route"') :]
        return route[route.index("Manager review") : route.index("Department head review")]

    before = manager_row()
    assert "Victor Vice-President" not in before
    preview = upload(as_alice, "email,manager_email\ncarol@alpha.test,victor@alpha.test\n")
    as_alice.post(
        "/admin/people/import/", {"csv_text": preview.context["apply_form"].initial["csv_text"]}
    )
    assert "Victor Vice-President" in manager_row()
    as_alice.post(
        f"/admin/people/people/{person(tenant_a, 'carol@alpha.test').pk}/", {"manager": frank.pk}
    )
    after = manager_row()
    assert "Frank Finance" in after
    assert "Victor Vice-President" not in after
