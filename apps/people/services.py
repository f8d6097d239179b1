"""Writes about people: roles, memberships, authority limits, departments, delegation."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actions import action, action_service
from apps.people.exceptions import InvalidInput, NotAllowed, PeopleErrorCode, invalid_fields
from apps.people.models import AuthorityLimit, Delegation, Department, Role
from apps.workflows.engine.spec_reader import SLUG_RE

MAX_DELEGATION = timedelta(days=90)
SLUG_MESSAGE = (
    "Use lowercase letters and digits, separated by single - or _ (for example icu_nursing)."
)


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can change roles and departments.",
            code=PeopleErrorCode.ADMIN_ONLY,
        )


@action_service
def role_ensure(*, actor: User | None, key: str, name: str, description: str = "") -> Role:
    if actor is not None:
        _require_admin(actor)
    role, _ = Role.objects.get_or_create(
        key=key, defaults={"name": name, "description": description}
    )
    return role


@action_service
def role_set_members(*, actor: User, role: Role, members: list[User]) -> Role:
    _require_admin(actor)
    role.members.set(members)
    return role


@action_service
def authority_limit_set(*, actor: User | None, role: Role, category: str, limit: Decimal) -> None:
    if actor is not None:
        _require_admin(actor)
    if not SLUG_RE.match(category):
        raise InvalidInput(SLUG_MESSAGE, code=PeopleErrorCode.INVALID, field="category")
    if limit < 0:
        raise InvalidInput(
            "An authority limit cannot be negative.", code=PeopleErrorCode.INVALID, field="limit"
        )
    if limit != limit.quantize(Decimal("0.01")):
        raise InvalidInput(
            "Use at most two decimal places.", code=PeopleErrorCode.INVALID, field="limit"
        )
    AuthorityLimit.objects.update_or_create(role=role, category=category, defaults={"limit": limit})


@action_service
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


@action_service
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
        raise NotAllowed("You can only delegate your own tasks.", code=PeopleErrorCode.ADMIN_ONLY)
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
        raise invalid_fields(errors, code=PeopleErrorCode.INVALID)
    overlapping = Delegation.objects.filter(
        delegator=delegator, revoked_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.exists():
        raise InvalidInput(
            "This person already has a delegation in that period; end it first.",
            code=PeopleErrorCode.INVALID,
            field="starts_at",
        )
    return Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=actor,
    )


@action_service
def delegation_revoke(*, actor: User, delegation: Delegation) -> None:
    if actor.pk != delegation.delegator_id and not actor.is_tenant_admin:
        raise NotAllowed("You can only end your own delegations.", code=PeopleErrorCode.ADMIN_ONLY)
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])


def _require_name(errors: dict[str, list[str]], name: str) -> None:
    if not name.strip():
        errors["name"] = ["Enter a name."]


@action_service
def role_create(*, actor: User, key: str, name: str, description: str = "") -> Role:
    """A new role; its key is what workflow specs route by (``role:<key>``), so it is fixed."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if not SLUG_RE.match(key):
        errors["key"] = [SLUG_MESSAGE]
    elif Role.objects.filter(key=key).exists():
        errors["key"] = ["A role with this key already exists."]
    _require_name(errors, name)
    if errors:
        raise invalid_fields(errors, code=PeopleErrorCode.INVALID)
    try:
        with action(actor=actor):
            return Role.objects.create(key=key, name=name.strip(), description=description)
    except IntegrityError as exc:  # created concurrently after the check above
        raise InvalidInput(
            "A role with this key already exists.", code=PeopleErrorCode.INVALID, field="key"
        ) from exc


@action_service
def role_update(*, actor: User, role: Role, name: str, description: str) -> Role:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    _require_name(errors, name)
    if errors:
        raise invalid_fields(errors, code=PeopleErrorCode.INVALID)
    role.name = name.strip()
    role.description = description
    role.save(update_fields=["name", "description"])
    return role


@action_service
def authority_limit_remove(*, actor: User, role: Role, category: str) -> bool:
    """Removes the role's limit in a category; False when there was none."""
    _require_admin(actor)
    deleted, _ = AuthorityLimit.objects.filter(role=role, category=category).delete()
    return deleted > 0


def _check_head(errors: dict[str, list[str]], head: User | None) -> None:
    if head is not None and not head.is_active:
        errors["head"] = ["This person's account is deactivated."]


@action_service
def department_create(
    *,
    actor: User,
    key: str,
    name: str,
    head: User | None = None,
    members: Iterable[User] = (),
) -> Department:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if not SLUG_RE.match(key):
        errors["key"] = [SLUG_MESSAGE]
    elif Department.objects.filter(key=key).exists():
        errors["key"] = ["A department with this key already exists."]
    _require_name(errors, name)
    _check_head(errors, head)
    if errors:
        raise invalid_fields(errors, code=PeopleErrorCode.INVALID)
    try:
        with action(actor=actor):
            department = Department.objects.create(key=key, name=name.strip(), head=head)
    except IntegrityError as exc:
        raise InvalidInput(
            "A department with this key already exists.", code=PeopleErrorCode.INVALID, field="key"
        ) from exc
    department.members.set(list(members))
    return department


@action_service
def department_update(
    *,
    actor: User,
    department: Department,
    name: str,
    head: User | None,
    members: Iterable[User],
) -> Department:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    _require_name(errors, name)
    if head is not None and head.pk != department.head_id:
        _check_head(errors, head)
    if errors:
        raise invalid_fields(errors, code=PeopleErrorCode.INVALID)
    department.name = name.strip()
    department.head = head
    department.save(update_fields=["name", "head"])
    department.members.set(list(members))
    return department
