"""Delegation: administrators set cover for anyone; everyone sets their own out of office."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.core.errors import NotAllowed
from apps.people import services
from apps.people.models import Delegation


def local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def soon(days: float) -> str:
    return local(timezone.now() + timedelta(days=days))


def test_admin_list_shows_active_and_upcoming_only(world, as_alice, in_a):
    with in_a():
        now = timezone.now()
        Delegation.objects.create(
            delegator=world.carol,
            delegate=world.bob,
            starts_at=now - timedelta(days=5),
            ends_at=now - timedelta(days=1),
            created_by=world.alice,
        )
        Delegation.objects.create(
            delegator=world.carol,
            delegate=world.alice,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=31),
            created_by=world.alice,
            revoked_at=now,
        )
    page = as_alice.get("/admin/people/delegations/")
    assert list(page.context["delegations"]) == [world.alice_delegation, world.delegation]
    html = page.content.decode()
    assert "Upcoming" in html
    assert "Active" in html


def test_admin_creates_cover_for_someone_else(world, as_alice, in_a):
    response = as_alice.post(
        "/admin/people/delegations/",
        {
            "delegator": world.carol.pk,
            "delegate": world.bob.pk,
            "starts_at": soon(10),
            "ends_at": soon(12),
            "reason": "Annual leave",
        },
        follow=True,
    )
    assert "Bob Approver now covers for Carol Requester" in response.content.decode()
    with in_a():
        delegation = Delegation.objects.get(delegator=world.carol)
    assert delegation.created_by == world.alice
    assert delegation.reason == "Annual leave"


def test_datetime_local_is_read_in_the_tenant_time_zone(world, as_alice, in_a, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    year = timezone.now().year + 1
    as_alice.post(
        "/admin/people/delegations/",
        {
            "delegator": world.carol.pk,
            "delegate": world.bob.pk,
            "starts_at": f"{year}-01-10T09:00",
            "ends_at": f"{year}-01-12T17:30",
        },
    )
    with in_a():
        delegation = Delegation.objects.get(delegator=world.carol)
    assert delegation.starts_at == datetime(year, 1, 10, 8, 0, tzinfo=UTC)  # CET is UTC+1
    assert delegation.ends_at == datetime(year, 1, 12, 16, 30, tzinfo=UTC)


def test_end_before_start_is_refused_with_the_message(world, as_alice, in_a):
    typed = {
        "delegator": world.carol.pk,
        "delegate": world.bob.pk,
        "starts_at": soon(5),
        "ends_at": soon(4),
        "reason": "Leave",
    }
    response = as_alice.post("/admin/people/delegations/", typed)
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["The end must be after the start."]
    html = response.content.decode()
    assert "The end must be after the start." in html
    assert f'value="{typed["starts_at"]}"' in html
    assert f'value="{typed["ends_at"]}"' in html
    with in_a():
        assert not Delegation.objects.filter(delegator=world.carol).exists()


def test_delegation_longer_than_90_days_is_refused(world, as_alice, in_a):
    response = as_alice.post(
        "/admin/people/delegations/",
        {
            "delegator": world.carol.pk,
            "delegate": world.bob.pk,
            "starts_at": soon(1),
            "ends_at": soon(92),
        },
    )
    assert response.context["form"].errors["ends_at"] == ["A delegation can last at most 90 days."]
    with in_a():
        assert not Delegation.objects.filter(delegator=world.carol).exists()


def test_overlap_and_self_cover_are_field_errors(world, as_alice):
    response = as_alice.post(
        "/admin/people/delegations/",
        {
            "delegator": world.bob.pk,
            "delegate": world.alice.pk,
            "starts_at": soon(2),
            "ends_at": soon(3),
        },
    )
    assert "already has a delegation" in response.context["form"].errors["starts_at"][0]
    response = as_alice.post(
        "/admin/people/delegations/",
        {
            "delegator": world.carol.pk,
            "delegate": world.carol.pk,
            "starts_at": soon(2),
            "ends_at": soon(3),
        },
    )
    assert "delegate" in response.context["form"].errors


def test_admin_revokes_a_delegation(world, as_alice, in_a):
    as_alice.post(f"/admin/people/delegations/{world.delegation.pk}/revoke/")
    with in_a():
        world.delegation.refresh_from_db()
    assert world.delegation.revoked_at is not None
    assert as_alice.get("/admin/people/delegations/").context["delegations"].count() == 1


def test_out_of_office_is_always_for_the_signed_in_person(world, as_bob, in_a):
    with in_a():
        Delegation.objects.filter(delegator=world.bob).delete()
    response = as_bob.post(
        "/admin/people/out-of-office/",
        {
            "delegator": world.carol.pk,  # ignored: the form has no such field
            "delegate": world.alice.pk,
            "starts_at": soon(1),
            "ends_at": soon(2),
        },
    )
    assert response.status_code == 302
    with in_a():
        delegation = Delegation.objects.get(delegate=world.alice, created_by=world.bob)
        assert delegation.delegator == world.bob
        assert not Delegation.objects.filter(delegator=world.carol).exists()


def test_out_of_office_does_not_offer_yourself_as_cover(world, as_bob):
    page = as_bob.get("/admin/people/out-of-office/")
    assert world.bob not in page.context["form"].fields["delegate"].queryset
    assert list(page.context["delegations"]) == [world.delegation]


def test_out_of_office_errors_show_per_field(world, as_bob):
    response = as_bob.post(
        "/admin/people/out-of-office/",
        {"delegate": world.carol.pk, "starts_at": soon(40), "ends_at": soon(39)},
    )
    assert response.context["form"].errors["ends_at"] == ["The end must be after the start."]


def test_nobody_ends_someone_elses_cover_from_out_of_office(world, as_bob, in_a):
    response = as_bob.post(f"/admin/people/out-of-office/{world.alice_delegation.pk}/end/")
    assert response.status_code == 404
    with in_a():
        world.alice_delegation.refresh_from_db()
    assert world.alice_delegation.revoked_at is None


def test_service_refuses_cover_for_someone_else_by_a_non_admin(world, in_tenant_a):
    now = timezone.now()
    with pytest.raises(NotAllowed):
        services.delegation_create(
            actor=world.bob,
            delegator=world.carol,
            delegate=world.alice,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=2),
        )
