"""Fixtures of the people pages: a small directory in tenant A and signed-in clients."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ReasonCode
from apps.people.models import AuthorityLimit, Delegation, Department, Role
from tests.conftest import sign_in


@dataclass(frozen=True)
class World:
    role: Role
    department: Department
    delegation: Delegation  # bob away, carol covers; set up by alice
    alice_delegation: Delegation  # alice away, bob covers
    reason_code: ReasonCode
    alice: User
    bob: User
    carol: User


@pytest.fixture
def world(tenant_a, alice, bob, carol) -> World:
    now = timezone.now()
    with tenant_context(tenant_a):
        role = Role.objects.create(key="triage", name="Triage nurse")
        role.members.set([bob])
        AuthorityLimit.objects.create(role=role, category="purchasing", limit=Decimal("1500.00"))
        department = Department.objects.create(key="icu", name="Intensive care", head=bob)
        department.members.set([bob, carol])
        delegation = Delegation.objects.create(
            delegator=bob,
            delegate=carol,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=5),
            reason="Conference",
            created_by=alice,
        )
        alice_delegation = Delegation.objects.create(
            delegator=alice,
            delegate=bob,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=2),
            created_by=alice,
        )
        reason_code = ReasonCode.objects.create(code="GRANT_EXHAUSTED", label="Grant exhausted")
    return World(role, department, delegation, alice_delegation, reason_code, alice, bob, carol)


@pytest.fixture
def as_alice(client_a) -> Client:
    assert sign_in(client_a, "alice@alpha.test").status_code == 302
    return client_a


@pytest.fixture
def as_bob(client_a) -> Client:
    assert sign_in(client_a, "bob@alpha.test").status_code == 302
    return client_a


@pytest.fixture
def in_a(tenant_a):
    """Run ORM checks in tenant A after requests (which leave the connection anywhere)."""

    def enter():
        return tenant_context(tenant_a)

    return enter
