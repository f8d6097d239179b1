"""A frozen snapshot of who is who that the caller passes to the engine: roles, managers,
department heads, authority limits, delegations and active users. Users are emails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Delegation:
    """`delegate` acts for the delegator from `starts_at` until `ends_at` (None = open-ended)."""

    delegate: str
    starts_at: datetime
    ends_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


@dataclass(frozen=True)
class Directory:
    role_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    managers: Mapping[str, str] = field(default_factory=dict)
    department_heads: Mapping[str, str] = field(default_factory=dict)
    authority_limits: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    delegations: Mapping[str, Delegation] = field(default_factory=dict)
    active_users: frozenset[str] | None = None  # None: every user is active

    def members(self, role: str) -> tuple[str, ...]:
        return tuple(m for m in self.role_members.get(role, ()) if self.is_active(m))

    def is_active(self, email: str) -> bool:
        return self.active_users is None or email in self.active_users

    def manager_of(self, email: str) -> str | None:
        return self.managers.get(email)

    def head_of(self, department: str | None) -> str | None:
        return self.department_heads.get(department) if department is not None else None

    def limit(self, email: str, category: str) -> Decimal:
        """The user's authority limit for `category`; no limit on record means no authority."""
        return self.authority_limits.get((email, category), Decimal(0))

    def delegation_for(self, email: str, now: datetime) -> Delegation | None:
        delegation = self.delegations.get(email)
        return delegation if delegation is not None and delegation.active_at(now) else None
