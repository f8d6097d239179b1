"""The directory snapshot the engine routes with is cached per tenant and directory version;
database triggers move the version on every change however it is made, so a cached snapshot
is never stale, and a change that rolled back never lingers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.people.models import AuthorityLimit, Delegation, Department, DirectoryVersion, Role
from apps.people.selectors import directory_snapshot


def _version() -> int:
    return DirectoryVersion.objects.get(pk=1).version


def test_a_second_snapshot_costs_one_query(in_tenant_a, bob, django_assert_num_queries):
    now = timezone.now()
    first = directory_snapshot(now=now)
    with django_assert_num_queries(1):
        second = directory_snapshot(now=now)
    assert second == first
    assert bob.email in second.active_users


def test_every_kind_of_change_is_seen_at_once(in_tenant_a, alice, bob, carol):
    now = timezone.now()
    directory_snapshot(now=now)  # cached from here on

    role = Role.objects.create(key="cache_probe", name="Cache probe")
    role.members.add(carol)  # m2m through table
    assert directory_snapshot(now=now).role_members["cache_probe"] == (carol.email,)

    AuthorityLimit.objects.create(role=role, category="purchasing", limit=Decimal("777"))
    assert directory_snapshot(now=now).authority_limits[(carol.email, "purchasing")] == 777

    Department.objects.create(key="cache_dept", name="Cache dept", head=bob)
    assert directory_snapshot(now=now).department_heads["cache_dept"] == bob.email

    User.objects.filter(pk=carol.pk).update(manager=alice)  # bulk update: no signals
    assert directory_snapshot(now=now).managers[carol.email] == alice.email

    with connection.cursor() as cursor:  # raw SQL, as a support engineer might
        cursor.execute("UPDATE accounts_user SET is_active = false WHERE id = %s", [bob.pk])
    assert bob.email not in directory_snapshot(now=now).active_users

    Delegation.objects.create(
        delegator=alice,
        delegate=carol,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=3),
        created_by=alice,
    )
    assert alice.email not in directory_snapshot(now=now).delegations  # not yet
    later = directory_snapshot(now=now + timedelta(days=2)).delegations[alice.email]
    assert later.delegate == carol.email
    assert alice.email not in directory_snapshot(now=now + timedelta(days=4)).delegations


def test_a_sign_in_does_not_move_the_version(in_tenant_a, bob):
    before = _version()
    bob.last_login = timezone.now()
    bob.save(update_fields=["last_login"])
    assert _version() == before
    bob.full_name = "Robert"
    bob.save()  # a whole-row save writes the watched columns too
    assert _version() > before


def test_a_rolled_back_change_does_not_linger(in_tenant_a, carol):
    now = timezone.now()
    role = Role.objects.create(key="cache_rollback", name="Rollback")
    assert directory_snapshot(now=now).role_members.get("cache_rollback") is None

    class Abandon(Exception):
        pass

    def add_then_abandon() -> None:
        with transaction.atomic():
            role.members.add(carol)
            assert directory_snapshot(now=now).role_members["cache_rollback"] == (carol.email,)
            raise Abandon

    with pytest.raises(Abandon):
        add_then_abandon()
    assert directory_snapshot(now=now).role_members.get("cache_rollback") is None


def test_tenants_never_share_a_snapshot(tenant_a, tenant_b, bob, dave):
    from django_tenants.utils import tenant_context

    now = timezone.now()
    with tenant_context(tenant_a):
        seen_in_a = directory_snapshot(now=now).active_users
    with tenant_context(tenant_b):
        seen_in_b = directory_snapshot(now=now).active_users
    assert bob.email in seen_in_a
    assert bob.email not in seen_in_b
    assert dave.email in seen_in_b
    assert dave.email not in seen_in_a
