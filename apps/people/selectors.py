"""Reads about people, including the directory snapshot the workflow engine routes with."""

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Subquery

from apps.accounts.models import SUPPORT_EMAIL_DOMAIN, User
from apps.core.text import email_normalise
from apps.people.models import AuthorityLimit, Delegation, Department, DirectoryVersion, Role
from apps.workflows.engine import Delegation as EngineDelegation
from apps.workflows.engine import Directory

CACHED_TENANTS = 64  # directories kept per process (a 1,000-person tenant's is a few hundred kB)


@dataclass(frozen=True)
class _Directory:
    """What `directory_snapshot` reads, before delegations are narrowed to a moment."""

    role_members: dict[str, tuple[str, ...]]
    managers: dict[str, str]
    department_heads: dict[str, str]
    authority_limits: dict[tuple[str, str], Decimal]
    delegations: tuple[tuple[str, str, datetime, datetime], ...]  # unrevoked, newest first
    active_users: frozenset[str]


_cache: OrderedDict[tuple[str, int, int], _Directory] = OrderedDict()
_cache_lock = threading.Lock()


def directory_version_query() -> Any:
    """The directory's version as a subquery, for a caller that reads it with its own row (the
    locked request) and hands it to `directory_snapshot` to save the query."""
    return Subquery(DirectoryVersion.objects.filter(pk=1).values("version")[:1])


def directory_snapshot(*, now: datetime, version: int | None = None) -> Directory:
    """Who is who at `now`. Read in six queries whatever the size of the tenant, then kept
    per tenant and directory version: while nothing the engine routes with changes, a
    snapshot costs one query (the version; database triggers move it on every change, see
    `DirectoryVersion`). Delegations are narrowed to `now` on every call."""
    key = _cache_key(version)
    directory = _cache_get(key) if key is not None else None
    if directory is None:
        directory = _directory_read()
        if key is not None:
            _cache_put(key, directory)
    delegations = {
        delegator: EngineDelegation(delegate=delegate, starts_at=starts, ends_at=ends)
        for delegator, delegate, starts, ends in directory.delegations
        if starts <= now < ends
    }
    return Directory(
        role_members=directory.role_members,
        managers=directory.managers,
        department_heads=directory.department_heads,
        authority_limits=directory.authority_limits,
        delegations=delegations,
        active_users=directory.active_users,
    )


def _cache_key(version: int | None = None) -> tuple[str, int, int] | None:
    """(schema, tenant row, version); None where no cache is safe: no tenant row to tell a
    re-created schema apart (`schema_context`), or no version row yet. `version` when the
    caller read it already (in the same transaction)."""
    tenant_id = getattr(getattr(connection, "tenant", None), "pk", None)
    if tenant_id is None:
        return None
    if version is None:
        version = DirectoryVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    if version is None:
        return None
    return (connection.schema_name, tenant_id, version)  # type: ignore[attr-defined]  # django-tenants' connection


def _cache_get(key: tuple[str, int, int]) -> _Directory | None:
    with _cache_lock:
        directory = _cache.get(key)
        if directory is not None:
            _cache.move_to_end(key)
        return directory


def _cache_put(key: tuple[str, int, int], directory: _Directory) -> None:
    with _cache_lock:
        for older in [k for k in _cache if k[:2] == key[:2]]:  # one version per tenant
            del _cache[older]
        _cache[key] = directory
        while len(_cache) > CACHED_TENANTS:
            _cache.popitem(last=False)


def _directory_read() -> _Directory:
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
    delegations = tuple(
        Delegation.objects.filter(revoked_at__isnull=True).values_list(
            "delegator__email", "delegate__email", "starts_at", "ends_at"
        )
    )
    active = frozenset(User.objects.filter(is_active=True).values_list("email", flat=True))
    return _Directory(
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


def department_by_key(key: str) -> Department | None:
    return Department.objects.filter(key=key).first() if key else None


def departments() -> QuerySet[Department]:
    return Department.objects.all()


def role_names() -> dict[str, str]:
    """Role names by key, for pick lists."""
    return dict(Role.objects.values_list("key", "name"))


def department_names() -> dict[str, str]:
    """Department names by key, for pick lists."""
    return dict(Department.objects.values_list("key", "name"))


def colleague_by_email(email: str, *, active_only: bool = False) -> User | None:
    """The person with this address in the current tenant (addresses are stored lowercase)."""
    people = User.objects.filter(email=email_normalise(email))
    if active_only:
        people = people.filter(is_active=True)
    return people.first()


def active_user_names() -> dict[str, str]:
    """Full names of active people by email, for pick lists."""
    return dict(User.objects.filter(is_active=True).values_list("email", "full_name"))


def active_people() -> QuerySet[User]:
    """Active people by name, for pick lists."""
    return User.objects.filter(is_active=True).order_by("full_name")


def org_chart_person(pk: int) -> User | None:
    """One person of this tenant with their manager, for the org chart page."""
    return org_chart_people().filter(pk=pk).first()


def org_chart_people() -> QuerySet[User]:
    """The tenant's people (not partner support staff) with what the org chart shows."""
    return (
        User.objects.exclude(email__endswith=f"@{SUPPORT_EMAIL_DOMAIN}")
        .select_related("manager")
        .prefetch_related("departments", "roles")
    )


def departments_by_key(keys: list[str]) -> tuple[list[Department], list[str]]:
    """The departments with these keys, and the keys that match none."""
    found = {d.key: d for d in Department.objects.filter(key__in=keys)}
    return [found[k] for k in keys if k in found], [k for k in keys if k not in found]


def roles_by_key(keys: list[str]) -> tuple[list[Role], list[str]]:
    """The roles with these keys, and the keys that match none."""
    found = {r.key: r for r in Role.objects.filter(key__in=keys)}
    return [found[k] for k in keys if k in found], [k for k in keys if k not in found]


def first_run_checklist(*, has_logo: bool, workflows: int) -> list[dict[str, object]]:
    """What a new organisation's admin still has to do, in the order it is usually done."""
    from apps.people.models import Role

    people = User.objects.filter(is_active=True).count()
    staffed_roles = Role.objects.filter(members__is_active=True).distinct().count()
    return [
        {"key": "invite", "label": "Invite your colleagues", "url": "/admin/users/",
         "done": people > 1, "detail": f"{people} active {'person' if people == 1 else 'people'}"},
        {"key": "roles", "label": "Give people their approver roles", "url": "/admin/people/roles/",
         "done": staffed_roles > 0, "detail": f"{staffed_roles} roles with members"},
        {"key": "workflows", "label": "Publish the workflows you need", "url": "/admin/workflows/",
         "done": workflows > 0, "detail": f"{workflows} published"},
        {"key": "branding", "label": "Add your logo and colours", "url": "",
         "done": has_logo,
         "detail": "logo set" if has_logo else "your partner sets it in their console"},
    ]  # fmt: skip
