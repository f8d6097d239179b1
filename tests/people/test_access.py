"""Who may use each people page: the tenant admin yes; a colleague, a stranger and another
tenant's user no. Out of office is the exception: every signed-in person uses it for themselves."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import sign_in
from tests.people.conftest import World

Endpoint = tuple[str, str, dict | None]


def _local(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


ADMIN_ENDPOINTS: dict[str, Callable[[World], Endpoint]] = {
    "roles-list": lambda w: ("GET", "/admin/people/roles/", None),
    "role-new-form": lambda w: ("GET", "/admin/people/roles/new/", None),
    "role-create": lambda w: (
        "POST",
        "/admin/people/roles/new/",
        {"name": "Pharmacy", "key": "pharmacy", "description": ""},
    ),
    "role-detail": lambda w: ("GET", f"/admin/people/roles/{w.role.pk}/", None),
    "role-update": lambda w: (
        "POST",
        f"/admin/people/roles/{w.role.pk}/",
        {"name": "Triage lead", "description": "Leads triage"},
    ),
    "role-members": lambda w: (
        "POST",
        f"/admin/people/roles/{w.role.pk}/members/",
        {"members": [w.carol.pk]},
    ),
    "limit-set": lambda w: (
        "POST",
        f"/admin/people/roles/{w.role.pk}/limits/",
        {"category": "capital", "limit": "25000.00"},
    ),
    "limit-remove": lambda w: (
        "POST",
        f"/admin/people/roles/{w.role.pk}/limits/purchasing/remove/",
        {},
    ),
    "departments-list": lambda w: ("GET", "/admin/people/departments/", None),
    "department-new-form": lambda w: ("GET", "/admin/people/departments/new/", None),
    "department-create": lambda w: (
        "POST",
        "/admin/people/departments/new/",
        {"key": "oncology", "name": "Oncology", "head": w.carol.pk, "members": [w.carol.pk]},
    ),
    "department-edit-form": lambda w: (
        "GET",
        f"/admin/people/departments/{w.department.pk}/",
        None,
    ),
    "department-update": lambda w: (
        "POST",
        f"/admin/people/departments/{w.department.pk}/",
        {"name": "ICU", "head": w.carol.pk, "members": [w.carol.pk]},
    ),
    "delegations-list": lambda w: ("GET", "/admin/people/delegations/", None),
    "delegation-create": lambda w: (
        "POST",
        "/admin/people/delegations/",
        {
            "delegator": w.carol.pk,
            "delegate": w.bob.pk,
            "starts_at": _local(timedelta(days=10)),
            "ends_at": _local(timedelta(days=12)),
            "reason": "Leave",
        },
    ),
    "delegation-revoke": lambda w: (
        "POST",
        f"/admin/people/delegations/{w.delegation.pk}/revoke/",
        {},
    ),
    "reason-codes-list": lambda w: ("GET", "/admin/people/reason-codes/", None),
    "reason-code-create": lambda w: (
        "POST",
        "/admin/people/reason-codes/",
        {"code": "WRONG_FORM", "label": "Wrong form used"},
    ),
    "reason-code-edit-form": lambda w: (
        "GET",
        f"/admin/people/reason-codes/{w.reason_code.pk}/",
        None,
    ),
    "reason-code-rename": lambda w: (
        "POST",
        f"/admin/people/reason-codes/{w.reason_code.pk}/",
        {"label": "Budget exhausted"},
    ),
    "reason-code-deactivate": lambda w: (
        "POST",
        f"/admin/people/reason-codes/{w.reason_code.pk}/deactivate/",
        {},
    ),
    "reason-code-reactivate": lambda w: (
        "POST",
        f"/admin/people/reason-codes/{w.reason_code.pk}/reactivate/",
        {},
    ),
}

OUT_OF_OFFICE_ENDPOINTS: dict[str, Callable[[World], Endpoint]] = {
    "out-of-office": lambda w: ("GET", "/admin/people/out-of-office/", None),
    "out-of-office-create": lambda w: (
        "POST",
        "/admin/people/out-of-office/",
        {
            "delegate": w.carol.pk,
            "starts_at": _local(timedelta(days=20)),
            "ends_at": _local(timedelta(days=21)),
        },
    ),
    "out-of-office-end": lambda w: (
        "POST",
        f"/admin/people/out-of-office/{w.delegation.pk}/end/",
        {},
    ),
}

ALL_ENDPOINTS = {**ADMIN_ENDPOINTS, **OUT_OF_OFFICE_ENDPOINTS}


def call(client, endpoint: Endpoint, **extra):
    method, url, data = endpoint
    if method == "GET":
        return client.get(url, **extra)
    return client.post(url, data, **extra)


def assert_success(response, method: str) -> None:
    if method == "GET":
        assert response.status_code == 200
        return
    form = response.context.get("form") if response.context else None
    assert response.redirect_chain, f"no redirect; form errors: {form.errors if form else None}"
    assert response.status_code == 200
    levels = [m.level_tag for m in response.context["messages"]]
    assert "success" in levels


@pytest.mark.parametrize("name", ADMIN_ENDPOINTS)
def test_tenant_admin_uses_every_admin_page(name, world, as_alice):
    endpoint = ADMIN_ENDPOINTS[name](world)
    response = call(as_alice, endpoint, follow=endpoint[0] == "POST")
    assert_success(response, endpoint[0])


@pytest.mark.parametrize("name", ADMIN_ENDPOINTS)
def test_colleague_without_admin_rights_is_forbidden(name, world, as_bob):
    response = call(as_bob, ADMIN_ENDPOINTS[name](world))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ALL_ENDPOINTS)
def test_anonymous_visitor_is_sent_to_login(name, world, client_a):
    response = call(client_a, ALL_ENDPOINTS[name](world))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", ALL_ENDPOINTS)
def test_other_tenant_user_cannot_sign_in_here(name, world, client_a, dave):
    refused = sign_in(client_a, "dave@bravo.test")
    assert refused.status_code == 200
    assert b"Please enter a correct email and password" in refused.content
    response = call(client_a, ALL_ENDPOINTS[name](world))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", ALL_ENDPOINTS)
def test_other_tenant_session_is_not_valid_here(name, world, client_a, client_b, dave):
    assert sign_in(client_b, "dave@bravo.test").status_code == 302
    client_a.cookies = client_b.cookies  # replay B's session cookie against A's host
    response = call(client_a, ALL_ENDPOINTS[name](world))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", OUT_OF_OFFICE_ENDPOINTS)
def test_any_signed_in_person_uses_out_of_office_for_themselves(name, world, as_bob):
    endpoint = OUT_OF_OFFICE_ENDPOINTS[name](world)  # world.delegation is bob's own
    response = call(as_bob, endpoint, follow=endpoint[0] == "POST")
    assert_success(response, endpoint[0])


def test_admin_uses_out_of_office_for_themselves(world, as_alice):
    assert as_alice.get("/admin/people/out-of-office/").status_code == 200
    response = as_alice.post(
        f"/admin/people/out-of-office/{world.alice_delegation.pk}/end/", follow=True
    )
    assert_success(response, "POST")
