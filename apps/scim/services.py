"""Writes of the SCIM app. Each directory request is one service call: one transaction, run
as the SCIM client (`ScimClient`) through the `scim` channel, with its audit entries. Leaving
(active false, DELETE) goes through `apps.accounts.user_admin.user_deactivate`, which hands
open tasks to the manager through the engine; group memberships become roles through the
tenant administrator's mappings."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.accounts.invitations import invitation_create
from apps.accounts.models import SUPPORT_EMAIL_DOMAIN, User
from apps.accounts.user_admin import user_deactivate
from apps.api.services import secret_hash
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import Channel, action
from apps.people.models import Role
from apps.scim.actors import ScimClient
from apps.scim.exceptions import ScimError, ScimErrorCode, conflict, invalid
from apps.scim.models import GroupRoleMapping, ScimGroup, ScimIdentity, ScimToken
from apps.scim.resources import (
    GroupFields,
    UserFields,
    group_fields_of,
    group_fields_patched,
    user_fields_of,
    user_fields_patched,
)

__all__ = ["TOKEN_PREFIX", "secret_hash"]

TOKEN_PREFIX = "scim_"  # noqa: S105  # the public prefix, not a secret
SCOPE_USERS = "users"
SCOPE_GROUPS = "groups"
ALL_SCOPES = (SCOPE_USERS, SCOPE_GROUPS)
LAST_USED_RESOLUTION = timedelta(minutes=1)
REFUSAL_AUDIT_WINDOW = 60  # seconds: one audit entry per source address and reason
SCIM_REFUSED = ScimClient(name="unauthenticated")


def _require_admin(actor: User, what: str) -> None:
    if not actor.is_tenant_admin:
        raise ScimError(
            f"Only tenant administrators can {what}.",
            code=ScimErrorCode.ADMIN_ONLY,
            http_status=403,
        )


def scim_client(token: ScimToken) -> ScimClient:
    return ScimClient(name=token.name, token_id=token.pk)


# --- tokens ------------------------------------------------------------------------------------


def scim_token_create(*, actor: User, name: str, scopes: Iterable[str]) -> tuple[ScimToken, str]:
    """Issue a token. Returns it and its full text, which is never stored or shown again."""
    _require_admin(actor, "create SCIM tokens")
    chosen = [scope for scope in ALL_SCOPES if scope in set(scopes)]
    if not name.strip():
        raise ScimError("Name the token after the directory that uses it.", field="name")
    if not chosen or set(scopes) - set(ALL_SCOPES):
        raise ScimError(f"Choose scopes from {', '.join(ALL_SCOPES)}.", field="scopes")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with action(actor=actor):
        token = ScimToken.objects.create(
            name=name.strip()[:100],
            prefix=prefix,
            secret_hash=secret_hash(secret),
            scopes=chosen,
            created_by=actor,
        )
        audit_append(
            category=AuditCategory.SECURITY,
            action="scim.token.create",
            obj=token,
            detail={"scopes": chosen},
        )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def scim_token_revoke(*, actor: User, token: ScimToken) -> ScimToken:
    _require_admin(actor, "revoke SCIM tokens")
    with action(actor=actor):
        token = ScimToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise ScimError("This token is already revoked.", code="conflict", http_status=409)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_append(category=AuditCategory.SECURITY, action="scim.token.revoke", obj=token)
    return token


def scim_refusal_record(*, reason: str, token_prefix: str, address: str, scope: str = "") -> None:
    """The audit entry of a refused SCIM call (no token, an unknown, revoked or other tenant's
    token: `missing_token` / `invalid_token`; a valid token without the scope: `scope`). Only
    the token's public prefix is kept, never its secret. A client retrying in a loop writes one
    entry per address and reason a minute, with the count of refusals since the last."""
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    key = f"scim-refused:{schema}:{address}:{reason}"
    count_key = f"{key}:count"
    if not cache.add(key, 1, REFUSAL_AUDIT_WINDOW):
        try:
            cache.incr(count_key)
        except ValueError:
            cache.set(count_key, 1, REFUSAL_AUDIT_WINDOW * 10)
        return
    repeated = cache.get(count_key) or 0
    cache.delete(count_key)
    with action(actor=SCIM_REFUSED, channel=Channel.SCIM):
        audit_append(
            category=AuditCategory.SECURITY,
            action="scim.auth_failed",
            object_type="scim.scimtoken",
            detail={
                "code": reason,
                "token_prefix": token_prefix[:16],
                "scope": scope,
                "refused_since_last_entry": repeated,
            },
        )


def scim_token_mark_used(*, token: ScimToken) -> None:
    """At most one write a minute per token (not audited: a usage counter)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ScimToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


# --- users -------------------------------------------------------------------------------------


def _visible_users() -> Q:
    return ~Q(email__endswith=f"@{SUPPORT_EMAIL_DOMAIN}")


def _manager(fields: UserFields, user: User | None) -> User | None:
    if fields.manager_id is None:
        return None
    if user is not None and fields.manager_id == str(user.pk):
        raise invalid("A person cannot be their own manager.")
    manager = None
    if fields.manager_id.isdigit() and len(fields.manager_id) <= 18:
        manager = (
            User.objects.filter(_visible_users(), pk=int(fields.manager_id))
            .exclude(scim_identities__deleted_at__isnull=False)
            .first()
        )
    if manager is None:
        raise invalid(f"There is no person with the id {fields.manager_id} to be the manager.")
    return manager


def _check_unique(fields: UserFields, user: User | None) -> None:
    names = ScimIdentity.objects.filter(user_name__iexact=fields.user_name, deleted_at__isnull=True)
    if user is not None:
        names = names.exclude(user=user)
    if names.exists():
        raise conflict(f"The userName {fields.user_name} is taken.")
    emails = User.objects.filter(email=fields.email)
    if user is not None:
        emails = emails.exclude(pk=user.pk)
    if emails.exists():
        raise conflict(f"Another person has the email address {fields.email}.")


def _identity_write(user: User, fields: UserFields) -> ScimIdentity:
    identity, _ = ScimIdentity.objects.update_or_create(
        user=user,
        defaults={
            "user_name": fields.user_name,
            "external_id": fields.external_id,
            "given_name": fields.given_name,
            "family_name": fields.family_name,
            "deleted_at": None,
        },
    )
    return identity


def scim_user_create(*, client: ScimClient, fields: UserFields, base_url: str = "") -> User:
    """A new person from the directory, without a password (they sign in through SSO or are
    sent an invitation). A person the directory deleted earlier comes back instead."""
    with action(actor=client, channel=Channel.SCIM):
        returning = (
            User.objects.filter(email=fields.email, scim_identities__deleted_at__isnull=False)
            .select_for_update(of=("self",))
            .first()
        )
        if returning is not None:
            return _user_write(
                client=client, user=returning, fields=fields, verb="create", base_url=base_url
            )
        _check_unique(fields, None)
        manager = _manager(fields, None)
        user = User.objects.create_user(
            fields.email,
            None,
            full_name=fields.full_name,
            job_title=fields.title,
            manager=manager,
            is_active=fields.active,
        )
        _identity_write(user, fields)
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.user.create",
            obj=user,
            detail={"token": client.token_id, "active": fields.active},
        )
        _invitation_send(client=client, user=user, base_url=base_url)
        return user


def _invitation_send(*, client: ScimClient, user: User, base_url: str) -> None:
    """An active person the directory created has no password: unless single sign-on is
    required here (they sign in through the IdP), they get the tenant's branded invitation
    email to choose one (after commit; the link works once, 7 days). Audited."""
    from apps.identity.selectors import identity_provider_active

    if not base_url or not user.is_active or user.has_usable_password():
        return
    provider = identity_provider_active()
    if provider is not None and provider.require_sso:
        return
    invitation_create(
        actor=None, email=user.email, base_url=base_url, invited_by="Your organisation's directory"
    )
    with action(actor=client, channel=Channel.SCIM):
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.user.invitation_sent",
            obj=user,
            detail={"token": client.token_id, "sso": provider.name if provider else ""},
        )


def scim_user_update(
    *, client: ScimClient, user: User, fields: UserFields, base_url: str = ""
) -> User:
    """PUT and PATCH: the person becomes `fields`. Turning `active` off deactivates them
    through the deactivation service (open tasks go to the manager)."""
    with action(actor=client, channel=Channel.SCIM):
        locked = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        return _user_write(
            client=client, user=locked, fields=fields, verb="update", base_url=base_url
        )


def scim_user_patch(*, client: ScimClient, user: User, body: Any, base_url: str = "") -> User:
    """PATCH: the operations are applied to the person as they are under the row lock, so two
    directory requests at once cannot undo each other."""
    with action(actor=client, channel=Channel.SCIM):
        locked = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        fields = user_fields_patched(user_fields_of(locked), body)
        return _user_write(
            client=client, user=locked, fields=fields, verb="update", base_url=base_url
        )


def _user_write(
    *, client: ScimClient, user: User, fields: UserFields, verb: str, base_url: str = ""
) -> User:
    _check_unique(fields, user)
    manager = _manager(fields, user)
    was_active = user.is_active
    changed = []
    values = {
        "email": fields.email,
        "full_name": fields.full_name,
        "job_title": fields.title[:200],
        "manager_id": manager.pk if manager else None,
    }
    for name, value in values.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name.removesuffix("_id"))
    if changed:
        user.save(update_fields=changed)
    _identity_write(user, fields)
    detail: dict[str, object] = {"token": client.token_id, "changed": changed}
    if was_active and not fields.active:
        result = user_deactivate(actor=client, user=user)
        detail |= {
            "deactivated": True,
            "tasks_moved": len(result.moved),
            "tasks_left_for_admin": len(result.open_tasks),
        }
    elif not was_active and fields.active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        detail["reactivated"] = True
    audit_append(category=AuditCategory.CHANGE, action=f"scim.user.{verb}", obj=user, detail=detail)
    if detail.get("reactivated") or (verb == "create" and user.is_active):
        _invitation_send(client=client, user=user, base_url=base_url)
    return user


def scim_user_delete(*, client: ScimClient, user: User) -> None:
    """The directory removed the person: deactivated (tasks to the manager), out of every
    group (and the roles those gave), and hidden from SCIM. The account stays for the record."""
    with action(actor=client, channel=Channel.SCIM):
        user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        detail: dict[str, object] = {"token": client.token_id}
        if user.is_active:
            result = user_deactivate(actor=client, user=user)
            detail |= {
                "tasks_moved": len(result.moved),
                "tasks_left_for_admin": len(result.open_tasks),
            }
        groups = list(user.scim_groups.all())
        user.scim_groups.clear()
        identity = ScimIdentity.objects.filter(user=user).first()
        if identity is None:
            identity = ScimIdentity(user=user, user_name=user.email)
        identity.deleted_at = timezone.now()
        identity.save()
        detail["groups"] = [group.display_name for group in groups]
        audit_append(
            category=AuditCategory.CHANGE, action="scim.user.delete", obj=user, detail=detail
        )
        _roles_sync([user], reason="user deleted")


# --- groups and roles --------------------------------------------------------------------------


def _members(ids: Iterable[str]) -> list[User]:
    ids = set(ids)
    if not all(value.isdigit() and len(value) <= 18 for value in ids):
        raise invalid("A member id is not the id of a person here.")
    people = list(
        User.objects.filter(_visible_users(), pk__in=[int(value) for value in ids]).exclude(
            scim_identities__deleted_at__isnull=False
        )
    )
    missing = ids - {str(person.pk) for person in people}
    if missing:
        raise invalid(f"No person has the id {sorted(missing)[0]}.")
    return people


def _check_group_name(display_name: str, group: ScimGroup | None) -> None:
    taken = ScimGroup.objects.filter(display_name__iexact=display_name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise conflict(f"A group named {display_name} exists already.")


def scim_group_create(*, client: ScimClient, fields: GroupFields) -> ScimGroup:
    with action(actor=client, channel=Channel.SCIM):
        _check_group_name(fields.display_name, None)
        members = _members(fields.member_ids)
        group = ScimGroup.objects.create(
            display_name=fields.display_name, external_id=fields.external_id
        )
        group.members.set(members)
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.group.create",
            obj=group,
            detail={"token": client.token_id, "added": sorted(m.pk for m in members)},
        )
        _roles_sync(members, reason=f"group {group.display_name}")
        return group


def scim_group_update(*, client: ScimClient, group: ScimGroup, fields: GroupFields) -> ScimGroup:
    """PUT and PATCH of a group: name, external id, members; the roles follow."""
    with action(actor=client, channel=Channel.SCIM):
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        _check_group_name(fields.display_name, group)
        before = {member.pk: member for member in group.members.all()}
        after = {member.pk: member for member in _members(fields.member_ids)}
        renamed = group.display_name != fields.display_name
        group.display_name = fields.display_name
        group.external_id = fields.external_id
        group.save()
        added = [after[pk] for pk in after.keys() - before.keys()]
        removed = [before[pk] for pk in before.keys() - after.keys()]
        if added:
            group.members.add(*added)
        if removed:
            group.members.remove(*removed)
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.group.update",
            obj=group,
            detail={
                "token": client.token_id,
                "renamed": renamed,
                "added": sorted(m.pk for m in added),
                "removed": sorted(m.pk for m in removed),
            },
        )
        affected = list({**before, **after}.values()) if renamed else added + removed
        _roles_sync(affected, reason=f"group {group.display_name}")
        return group


def scim_group_patch(*, client: ScimClient, group: ScimGroup, body: Any) -> ScimGroup:
    """PATCH of a group, applied under the group's row lock (see `scim_user_patch`)."""
    with action(actor=client, channel=Channel.SCIM):
        locked = ScimGroup.objects.select_for_update().get(pk=group.pk)
        fields = group_fields_patched(group_fields_of(locked), body)
        return scim_group_update(client=client, group=locked, fields=fields)


def scim_group_delete(*, client: ScimClient, group: ScimGroup) -> None:
    with action(actor=client, channel=Channel.SCIM):
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        members = list(group.members.all())
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.group.delete",
            obj=group,
            detail={"token": client.token_id, "members": sorted(m.pk for m in members)},
        )
        group.delete()
        _roles_sync(members, reason="group deleted")


def _roles_sync(people: Iterable[User], *, reason: str) -> None:
    """Give each person exactly the mapped roles their groups map to. Roles that no mapping
    names were given by hand and are left alone. Runs inside the caller's action."""
    mappings = list(GroupRoleMapping.objects.select_related("role"))
    if not mappings:
        return
    by_group: dict[str, Role] = {m.group_name.lower(): m.role for m in mappings}
    managed = {m.role.pk: m.role for m in mappings}
    for person in people:
        names = {name.lower() for name in person.scim_groups.values_list("display_name", flat=True)}
        wanted = {by_group[name].pk for name in names if name in by_group}
        held = set(person.roles.filter(pk__in=managed).values_list("pk", flat=True))
        for pk in sorted(wanted - held):
            managed[pk].members.add(person)
            _role_audit("scim.role.grant", managed[pk], person, reason)
        for pk in sorted(held - wanted):
            managed[pk].members.remove(person)
            _role_audit("scim.role.revoke", managed[pk], person, reason)


def _role_audit(verb: str, role: Role, person: User, reason: str) -> None:
    audit_append(
        category=AuditCategory.CHANGE,
        action=verb,
        obj=person,
        detail={"role": role.key, "because": reason},
    )


# --- the administrator's mappings ------------------------------------------------------------


def group_mapping_set(*, actor: User, group_name: str, role: Role) -> GroupRoleMapping:
    """Members of the directory group `group_name` hold `role` from now on (those in the
    group already get it at once)."""
    _require_admin(actor, "map directory groups to roles")
    group_name = group_name.strip()[:200]
    if not group_name:
        raise ScimError(
            "Give the group's display name as the directory sends it.", field="group_name"
        )
    with action(actor=actor):
        if GroupRoleMapping.objects.filter(group_name__iexact=group_name).exists():
            raise ScimError(
                f"{group_name} is mapped already; remove that mapping first.",
                code=ScimErrorCode.UNIQUENESS,
                field="group_name",
                http_status=409,
            )
        mapping = GroupRoleMapping.objects.create(group_name=group_name, role=role)
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.mapping.create",
            obj=mapping,
            detail={"group": group_name, "role": role.key},
        )
        group = ScimGroup.objects.filter(display_name__iexact=group_name).first()
        if group is not None:
            _roles_sync(list(group.members.all()), reason=f"mapping of {group_name}")
    return mapping


def group_mapping_remove(*, actor: User, mapping: GroupRoleMapping) -> None:
    _require_admin(actor, "map directory groups to roles")
    with action(actor=actor):
        mapping = GroupRoleMapping.objects.select_related("role").get(pk=mapping.pk)
        group = ScimGroup.objects.filter(display_name__iexact=mapping.group_name).first()
        members = list(group.members.all()) if group is not None else []
        role = mapping.role
        audit_append(
            category=AuditCategory.CHANGE,
            action="scim.mapping.remove",
            obj=mapping,
            detail={"group": mapping.group_name, "role": role.key},
        )
        mapping.delete()
        # Members lose the role unless another mapped group of theirs still gives it.
        for person in members:
            if role.members.filter(pk=person.pk).exists():
                role.members.remove(person)
                _role_audit("scim.role.revoke", role, person, "mapping removed")
        _roles_sync(members, reason="mapping removed")
