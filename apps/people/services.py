"""Writes about people: roles, memberships, authority limits, departments, delegation."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.people.models import AuthorityLimit, Delegation, Department, Role

MAX_DELEGATION = timedelta(days=90)


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise PermissionDenied("Only tenant administrators can change roles and departments.")


@transaction.atomic
def role_ensure(*, actor: User | None, key: str, name: str, description: str = "") -> Role:
    if actor is not None:
        _require_admin(actor)
    role, _ = Role.objects.get_or_create(
        key=key, defaults={"name": name, "description": description}
    )
    return role


@transaction.atomic
def role_set_members(*, actor: User, role: Role, members: list[User]) -> Role:
    _require_admin(actor)
    role.members.set(members)
    return role


@transaction.atomic
def authority_limit_set(*, actor: User | None, role: Role, category: str, limit: Decimal) -> None:
    if actor is not None:
        _require_admin(actor)
    if limit < 0:
        raise ValidationError({"limit": ["An authority limit cannot be negative."]})
    AuthorityLimit.objects.update_or_create(role=role, category=category, defaults={"limit": limit})


@transaction.atomic
def department_ensure(
    *, actor: User | None, key: str, name: str, head: User | None = None
) -> Department:
    if actor is not None:
        _require_admin(actor)
    department, created = Department.objects.get_or_create(
        key=key, defaults={"name": name, "head": head}
    )
    if not created and head is not None and department.head_id != head.pk:
        department.head = head
        department.save(update_fields=["head"])
    return department


@transaction.atomic
def delegation_create(
    *,
    actor: User,
    delegator: User,
    delegate: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
) -> Delegation:
    """Out-of-office cover. People delegate their own tasks; admins may set it for anyone.

    The delegate acts with the delegator's authority, never more: the engine checks the
    delegator's limit on every task decided on their behalf.
    """
    if actor.pk != delegator.pk and not actor.is_tenant_admin:
        raise PermissionDenied("You can only delegate your own tasks.")
    errors: dict[str, list[str]] = {}
    if delegate.pk == delegator.pk:
        errors["delegate"] = ["Choose someone other than the person who is away."]
    elif not delegate.is_active:
        errors["delegate"] = ["This person's account is deactivated."]
    if ends_at <= starts_at:
        errors["ends_at"] = ["The end must be after the start."]
    elif ends_at - starts_at > MAX_DELEGATION:
        errors["ends_at"] = ["A delegation can last at most 90 days."]
    elif ends_at <= timezone.now():
        errors["ends_at"] = ["The end is in the past."]
    if errors:
        raise ValidationError(errors)
    overlapping = Delegation.objects.filter(
        delegator=delegator, revoked_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.exists():
        raise ValidationError(
            {"starts_at": ["This person already has a delegation in that period; end it first."]}
        )
    return Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=actor,
    )


@transaction.atomic
def delegation_revoke(*, actor: User, delegation: Delegation) -> None:
    if actor.pk != delegation.delegator_id and not actor.is_tenant_admin:
        raise PermissionDenied("You can only end your own delegations.")
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])

