"""What an IdP's claims say about a person, under the tenant's claims mapping: the same code maps
a real ID token at sign-in and a pasted sample in the settings page's preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from apps.core.text import email_normalise


class ClaimsMapping(Protocol):
    claim_email: str
    claim_name: str
    claim_department: str
    claim_manager: str
    claim_groups: str
    group_roles: Any


@dataclass(frozen=True)
class MappedIdentity:
    email: str
    full_name: str
    department: str = ""
    manager_email: str = ""
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # role keys the groups give
    managed_roles: tuple[str, ...] = field(default=())  # role keys groups decide (add/remove)


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name; a dotted name reads nested objects (e.g. `org.department`)."""
    if not name:
        return None
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any, limit: int = 200) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()[:limit]
    return ""


def _groups(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(dict.fromkeys(str(item).strip() for item in value if _text(item)))


def claims_map(*, mapping: ClaimsMapping, claims: Mapping[str, Any]) -> MappedIdentity:
    group_roles: Mapping[str, list[str]] = mapping.group_roles or {}
    groups = _groups(_claim(claims, mapping.claim_groups))
    roles = sorted({key for group in groups for key in group_roles.get(group, [])})
    managed = sorted({key for keys in group_roles.values() for key in keys})
    email = _text(_claim(claims, mapping.claim_email), 254)
    manager = _text(_claim(claims, mapping.claim_manager), 254)
    return MappedIdentity(
        email=email_normalise(email) if email else "",
        full_name=_text(_claim(claims, mapping.claim_name)),
        department=_text(_claim(claims, mapping.claim_department)),
        manager_email=email_normalise(manager) if "@" in manager else "",
        groups=groups,
        roles=tuple(roles),
        managed_roles=tuple(managed),
    )


def group_roles_parse(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """`group: role_a, role_b` one per line (the settings form's text) as a mapping, and the
    lines that could not be read."""
    mapping: dict[str, list[str]] = {}
    bad: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group, sep, roles = line.rpartition(":")
        keys = [key.strip() for key in roles.split(",") if key.strip()]
        if not sep or not group.strip() or not keys:
            bad.append(f"line {number}")
            continue
        mapping.setdefault(group.strip(), [])
        mapping[group.strip()] += [key for key in keys if key not in mapping[group.strip()]]
    return mapping, bad


def group_roles_text(mapping: Mapping[str, list[str]]) -> str:
    return "\n".join(f"{group}: {', '.join(keys)}" for group, keys in mapping.items())
