"""Roles: create, edit, members and authority limits, through the pages and the services."""

from decimal import Decimal

import pytest

from apps.core.errors import InvalidInput, NotAllowed
from apps.people import services
from apps.people.models import AuthorityLimit, Role


def test_list_shows_key_member_count_and_limits(world, as_alice):
    page = as_alice.get("/admin/people/roles/")
    assert page.status_code == 200
    roles = list(page.context["roles"])
    picked = [
        r.name for r in roles if r.name in {"Vice president", "Triage nurse", "Board of directors"}
    ]
    assert picked == ["Board of directors", "Triage nurse", "Vice president"]
    row = next(r for r in roles if r.key == "triage")
    assert row.member_count == 1
    html = page.content.decode()
    assert "Triage nurse" in html
    assert "purchasing ≤ 1,500.00" in html
    assert "people.css" in html


def test_create_role_redirects_to_its_page(world, as_alice, in_a):
    response = as_alice.post(
        "/admin/people/roles/new/",
        {"name": "Night pharmacy", "key": "night_pharmacy", "description": "Covers nights"},
    )
    with in_a():
        role = Role.objects.get(key="night_pharmacy")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/people/roles/{role.pk}/"
    assert role.name == "Night pharmacy"
    assert role.description == "Covers nights"


def test_bad_key_shows_the_field_error_and_keeps_what_was_typed(world, as_alice, in_a):
    typed = {"name": "Night Pharmacy", "key": "Night Pharmacy!", "description": "Covers nights"}
    response = as_alice.post("/admin/people/roles/new/", typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["key"]
    assert "lowercase letters and digits" in form.errors["key"][0]
    html = response.content.decode()
    assert 'value="Night Pharmacy!"' in html
    assert 'value="Night Pharmacy"' in html
    assert "Covers nights</textarea>" in html
    assert 'class="field-error"' in html
    with in_a():
        assert not Role.objects.filter(name="Night Pharmacy").exists()


def test_duplicate_key_is_refused_on_the_key_field(world, as_alice):
    response = as_alice.post("/admin/people/roles/new/", {"name": "Other", "key": "triage"})
    assert response.status_code == 200
    assert response.context["form"].errors["key"] == ["A role with this key already exists."]


def test_missing_name_is_a_field_error(world, as_alice):
    response = as_alice.post("/admin/people/roles/new/", {"name": "", "key": "ok_key"})
    assert "name" in response.context["form"].errors
    assert 'value="ok_key"' in response.content.decode()


def test_edit_details_keeps_the_key(world, as_alice, in_a):
    as_alice.post(
        f"/admin/people/roles/{world.role.pk}/", {"name": "Triage lead", "description": "Leads"}
    )
    with in_a():
        world.role.refresh_from_db()
    assert (world.role.key, world.role.name, world.role.description) == (
        "triage",
        "Triage lead",
        "Leads",
    )


def test_set_members_offers_active_people_by_name(world, as_alice, in_a):
    page = as_alice.get(f"/admin/people/roles/{world.role.pk}/")
    names = [u.full_name for u in page.context["members_form"].fields["members"].queryset]
    ours = [n for n in names if n in {"Carol Requester", "Alice Admin", "Bob Approver"}]
    assert ours == ["Alice Admin", "Bob Approver", "Carol Requester"]

    as_alice.post(
        f"/admin/people/roles/{world.role.pk}/members/",
        {"members": [world.alice.pk, world.carol.pk]},
    )
    with in_a():
        members = set(world.role.members.values_list("email", flat=True))
    assert members == {"alice@alpha.test", "carol@alpha.test"}


def test_unknown_member_is_a_field_error(world, as_alice):
    response = as_alice.post(f"/admin/people/roles/{world.role.pk}/members/", {"members": [999999]})
    assert response.status_code == 200
    assert "members" in response.context["members_form"].errors


def test_add_and_change_an_authority_limit(world, as_alice, in_a):
    url = f"/admin/people/roles/{world.role.pk}/limits/"
    as_alice.post(url, {"category": "capital", "limit": "25000"})
    as_alice.post(url, {"category": "purchasing", "limit": "2000.50"})
    with in_a():
        limits = dict(world.role.authority_limits.values_list("category", "limit"))
    assert limits == {"capital": Decimal("25000.00"), "purchasing": Decimal("2000.50")}


def test_negative_authority_limit_is_refused(world, as_alice, in_a):
    response = as_alice.post(
        f"/admin/people/roles/{world.role.pk}/limits/", {"category": "capital", "limit": "-5"}
    )
    assert response.status_code == 200
    form = response.context["limit_form"]
    assert form.errors["limit"] == ["An authority limit cannot be negative."]
    html = response.content.decode()
    assert "An authority limit cannot be negative." in html
    assert 'value="capital"' in html
    with in_a():
        assert not AuthorityLimit.objects.filter(role=world.role, category="capital").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "capital", "limit": "10.123"}, "limit"),
        ({"category": "capital", "limit": "lots"}, "limit"),
        ({"category": "Capital Items", "limit": "10"}, "category"),
    ],
)
def test_malformed_authority_limit_is_a_field_error(world, as_alice, data, field):
    response = as_alice.post(f"/admin/people/roles/{world.role.pk}/limits/", data)
    assert response.status_code == 200
    assert field in response.context["limit_form"].errors


def test_remove_an_authority_limit(world, as_alice, in_a):
    response = as_alice.post(
        f"/admin/people/roles/{world.role.pk}/limits/purchasing/remove/", follow=True
    )
    assert "Authority limit for purchasing removed." in response.content.decode()
    with in_a():
        assert not world.role.authority_limits.exists()


def test_services_refuse_non_admins_and_bad_values(world, in_tenant_a):
    with pytest.raises(NotAllowed):
        services.role_create(actor=world.bob, key="x", name="X")
    with pytest.raises(NotAllowed):
        services.authority_limit_remove(actor=world.bob, role=world.role, category="purchasing")
    with pytest.raises(InvalidInput) as error:
        services.authority_limit_set(
            actor=world.alice, role=world.role, category="capital", limit=Decimal("-1")
        )
    assert error.value.fields == {"limit": ["An authority limit cannot be negative."]}
    assert (
        services.authority_limit_remove(actor=world.alice, role=world.role, category="capital")
        is False
    )
