"""Reads about people, including the directory snapshot the workflow engine routes with."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from apps.accounts.models import User
from apps.people.models import AuthorityLimit, Delegation, Department, Role
from apps.workflows.engine import Delegation as EngineDelegation
from apps.workflows.engine import Directory


def directory_snapshot(*, now: datetime) -> Directory:
    """Who is who, in six queries whatever the size of the tenant."""
    role_members: dict[str, list[str]] = defaultdict(list)
    for key, email in Role.members.through.objects.values_list("role__key", "user__email"):
        role_members[key].append(email)
    managers = dict(
        User.objects.filter(manager__isnull=False).values_list("email", "manager__email")
    )
    heads = dict(Department.objects.filter(head__isnull=False).values_list("key", "head__email"))
    limits: dict[tuple[str, str], Decimal] = {}
    rows = AuthorityLimit.objects.values_list("role__members__email", "category", "limit")
    for email, category, limit in rows:
        if email is not None and limit > limits.get((email, category), Decimal(-1)):
            limits[(email, category)] = limit
    delegations = {
        delegator: EngineDelegation(delegate=delegate, starts_at=starts, ends_at=ends)
        for delegator, delegate, starts, ends in Delegation.objects.filter(
            revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now
        ).values_list("delegator__email", "delegate__email", "starts_at", "ends_at")
    }
    active = frozenset(User.objects.filter(is_active=True).values_list("email", flat=True))
    return Directory(
        role_members={key: tuple(members) for key, members in role_members.items()},
        managers=managers,
        department_heads=heads,
        authority_limits=limits,
        delegations=delegations,
        active_users=active,
    )


def known_names() -> dict[str, set[str]]:
    """Role keys, department keys and user emails that a spec may refer to."""
    return {
        "roles": set(Role.objects.values_list("key", flat=True)),
        "departments": set(Department.objects.values_list("key", flat=True)),
        "users": set(User.objects.filter(is_active=True).values_list("email", flat=True)),
    }
