"""SCIM resources in and out: a request body (POST, PUT) or a PatchOp applied to what a person
or group is now gives the plain fields a service writes; a person or group gives its SCIM JSON.
Nothing here writes; every refusal is a SCIM 400 with its scimType."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from apps.accounts.models import User
from apps.core.text import email_normalise
from apps.scim.exceptions import ScimErrorCode, invalid
from apps.scim.models import ScimGroup, ScimIdentity
from apps.scim.schemas import CORE_GROUP, CORE_USER, ENTERPRISE_USER, PATCH_OP

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEMBER_PATH_RE = re.compile(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', re.IGNORECASE)
EMAIL_PATH_RE = re.compile(r'^emails(\[\s*type\s+eq\s+"[^"]*"\s*\])?(\.value)?$', re.IGNORECASE)
ENTERPRISE = ENTERPRISE_USER.lower()
MAX_MEMBERS_PER_REQUEST = 1000
# Attributes of RFC 7643's User and the enterprise extension that Countersign does not keep:
# accepted and not stored, so a directory's default mappings (Entra ID sends phone numbers,
# addresses, department...) do not fail every update. Any other path is an invalidPath.
NOT_KEPT = {
    "nickname", "profileurl", "usertype", "preferredlanguage", "locale", "timezone",
    "phonenumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509certificates",
    "password", "name.formatted", "name.middlename", "name.honorificprefix",
    "name.honorificsuffix",
}  # fmt: skip
ENTERPRISE_NOT_KEPT = {"employeenumber", "costcenter", "organization", "division", "department"}


@dataclass(frozen=True)
class UserFields:
    user_name: str
    email: str
    external_id: str = ""
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    title: str = ""
    active: bool = True
    manager_id: str | None = None  # the manager's SCIM id

    @property
    def full_name(self) -> str:
        joined = f"{self.given_name} {self.family_name}".strip()
        return (self.display_name or joined or self.user_name)[:200]


@dataclass(frozen=True)
class GroupFields:
    display_name: str
    external_id: str = ""
    member_ids: frozenset[str] = field(default_factory=frozenset)


# --- values ----------------------------------------------------------------------------------


def _text(value: Any, name: str, *, limit: int = 254) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.")
    text: str = value.strip()
    if len(text) > limit:
        raise invalid(f"{name} is longer than {limit} characters.")
    return text


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra ID sends PATCH values of booleans as the strings "True" and "False".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"{name} must be true or false.")


def _email(value: Any, name: str = "emails.value") -> str:
    text = _text(value, name)
    if not EMAIL_RE.match(text):
        raise invalid(f"{name} must be an email address.")
    return email_normalise(text)


def _emails(value: Any) -> str | None:
    """The work (or primary, or first) address of an `emails` list."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid("emails must be a list of objects with a value.")
    if not value:
        return None
    chosen = next((item for item in value if item.get("primary") is True), None)
    chosen = chosen or next((item for item in value if item.get("type") == "work"), value[0])
    return _email(chosen.get("value"))


def _manager_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise invalid("manager.value must be the manager's id.")
    return str(value)


def _member_ids(value: Any) -> set[str]:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("value"), str | int) for item in value
    ):
        raise invalid("members must be a list of objects with a value (the person's id).")
    if len(value) > MAX_MEMBERS_PER_REQUEST:
        raise invalid(
            f"Send at most {MAX_MEMBERS_PER_REQUEST} members at once.", ScimErrorCode.TOO_MANY
        )
    return {str(item["value"]) for item in value}


def _require_schema(body: Any, schema: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object.", ScimErrorCode.INVALID_SYNTAX)
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or schema not in schemas:
        raise invalid(f"The body must list the schema {schema}.", ScimErrorCode.INVALID_SYNTAX)
    return body


# --- users -----------------------------------------------------------------------------------


def user_fields_from(body: Any) -> UserFields:
    """The fields of a whole User resource (POST and PUT)."""
    body = _require_schema(body, CORE_USER)
    user_name = _text(body.get("userName"), "userName")
    if not user_name:
        raise invalid("userName is required.")
    name = body.get("name") or {}
    if not isinstance(name, dict):
        raise invalid("name must be an object.")
    email = _emails(body.get("emails"))
    if email is None:
        if not EMAIL_RE.match(user_name):
            raise invalid("Send emails (a work address): userName is not an email address.")
        email = email_normalise(user_name)
    enterprise = body.get(ENTERPRISE_USER) or {}
    if not isinstance(enterprise, dict):
        raise invalid(f"{ENTERPRISE_USER} must be an object.")
    return UserFields(
        user_name=user_name,
        email=email,
        external_id=_text(body.get("externalId"), "externalId"),
        given_name=_text(name.get("givenName"), "name.givenName", limit=100),
        family_name=_text(name.get("familyName"), "name.familyName", limit=100),
        display_name=_text(body.get("displayName"), "displayName", limit=200),
        title=_text(body.get("title"), "title", limit=200),
        active=_boolean(body.get("active", True), "active"),
        manager_id=_manager_id(enterprise.get("manager")),
    )


def identity_of(user: User) -> ScimIdentity | None:
    """The person's SCIM identity (prefetched by `apps.scim.selectors.scim_users`)."""
    return next(iter(user.scim_identities.all()), None)


def user_fields_of(user: User) -> UserFields:
    identity = identity_of(user)
    return UserFields(
        user_name=identity.user_name if identity else user.email,
        email=user.email,
        external_id=identity.external_id if identity else "",
        given_name=identity.given_name if identity else "",
        family_name=identity.family_name if identity else "",
        display_name=user.full_name,
        title=user.job_title,
        active=user.is_active,
        manager_id=str(user.manager_id) if user.manager_id else None,
    )


def _user_set(fields: UserFields, path: str, value: Any, *, remove: bool = False) -> UserFields:
    key = path.lower()
    if key.startswith(ENTERPRISE):
        rest = key[len(ENTERPRISE) :].lstrip(":")
        if rest in ("manager", "manager.value"):
            return replace(fields, manager_id=None if remove else _manager_id(value))
        if rest in ENTERPRISE_NOT_KEPT:
            return fields
        if rest == "" and isinstance(value, dict) and not remove:
            if "manager" not in value:
                return fields
            return replace(fields, manager_id=_manager_id(value.get("manager")))
        raise invalid(f"The path {path} is not supported.", ScimErrorCode.INVALID_PATH)
    if key.startswith(CORE_USER.lower() + ":"):
        key = key[len(CORE_USER) + 1 :]
    if key in NOT_KEPT or re.split(r"[\[.]", key, maxsplit=1)[0] in NOT_KEPT:
        return fields
    if EMAIL_PATH_RE.match(key):
        if remove:
            raise invalid("A person needs an email address.", ScimErrorCode.MUTABILITY)
        email = _emails(value) if isinstance(value, list) else _email(value)
        return replace(fields, email=email) if email else fields
    texts = {
        "username": ("user_name", 254),
        "externalid": ("external_id", 254),
        "displayname": ("display_name", 200),
        "title": ("title", 200),
        "name.givenname": ("given_name", 100),
        "name.familyname": ("family_name", 100),
    }
    if key in texts:
        attribute, limit = texts[key]
        if remove and attribute == "user_name":
            raise invalid("userName cannot be removed.", ScimErrorCode.MUTABILITY)
        text = "" if remove else _text(value, path, limit=limit)
        if attribute == "user_name" and not text:
            raise invalid("userName cannot be empty.")
        changes: dict[str, Any] = {attribute: text}
        return replace(fields, **changes)
    if key == "name":
        if remove:
            return replace(fields, given_name="", family_name="")
        if not isinstance(value, dict):
            raise invalid("name must be an object.")
        for sub in ("givenName", "familyName"):
            if sub in value:
                fields = _user_set(fields, f"name.{sub}", value[sub])
        return fields
    if key == "active":
        if remove:
            raise invalid("active cannot be removed.", ScimErrorCode.MUTABILITY)
        return replace(fields, active=_boolean(value, "active"))
    raise invalid(f"The path {path} is not supported.", ScimErrorCode.INVALID_PATH)


def user_fields_patched(fields: UserFields, body: Any) -> UserFields:
    for op, path, value in _operations(body):
        if path:
            fields = _user_set(fields, path, value, remove=op == "remove")
            continue
        if op == "remove":
            raise invalid("A remove needs a path.", ScimErrorCode.NO_TARGET)
        if not isinstance(value, dict):
            raise invalid("Without a path, the value must be an object.")
        for key, item in value.items():
            fields = _user_set(fields, key, item)
    return fields


def user_resource(user: User, base: str) -> dict[str, Any]:
    fields = user_fields_of(user)
    identity = identity_of(user)
    location = f"{base}/Users/{user.pk}"
    resource: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "id": str(user.pk),
        "userName": fields.user_name,
        "name": {
            "givenName": fields.given_name,
            "familyName": fields.family_name,
            "formatted": user.full_name,
        },
        "displayName": user.full_name,
        "title": user.job_title,
        "active": user.is_active,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "groups": [
            {
                "value": str(group.pk),
                "display": group.display_name,
                "$ref": f"{base}/Groups/{group.pk}",
            }
            for group in user.scim_groups.all()
        ],
        ENTERPRISE_USER: {},
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "lastModified": (identity.updated_at if identity else user.date_joined).isoformat(),
            "location": location,
        },
    }
    if fields.external_id:
        resource["externalId"] = fields.external_id
    if user.manager is not None:
        resource[ENTERPRISE_USER]["manager"] = {
            "value": str(user.manager.pk),
            "displayName": user.manager.full_name,
            "$ref": f"{base}/Users/{user.manager.pk}",
        }
    return resource


# --- groups ----------------------------------------------------------------------------------


def group_fields_from(body: Any) -> GroupFields:
    body = _require_schema(body, CORE_GROUP)
    display_name = _text(body.get("displayName"), "displayName", limit=200)
    if not display_name:
        raise invalid("displayName is required.")
    members = body.get("members")
    return GroupFields(
        display_name=display_name,
        external_id=_text(body.get("externalId"), "externalId"),
        member_ids=frozenset(_member_ids(members) if members is not None else set()),
    )


def group_fields_of(group: ScimGroup) -> GroupFields:
    return GroupFields(
        display_name=group.display_name,
        external_id=group.external_id,
        member_ids=frozenset(str(member.pk) for member in group.members.all()),
    )


def _group_set(fields: GroupFields, op: str, path: str, value: Any) -> GroupFields:
    key = path.lower()
    if key.startswith(CORE_GROUP.lower() + ":"):
        key = key[len(CORE_GROUP) + 1 :]
    matched = MEMBER_PATH_RE.match(key)
    if matched:
        if op != "remove":
            raise invalid(
                "Add members with the path members and a list.", ScimErrorCode.INVALID_PATH
            )
        return replace(fields, member_ids=fields.member_ids - {matched.group(1)})
    if key == "members":
        if op == "remove":
            if value is None:
                return replace(fields, member_ids=frozenset())
            return replace(fields, member_ids=fields.member_ids - _member_ids(value))
        ids = _member_ids(value)
        if op == "add":
            return replace(fields, member_ids=fields.member_ids | ids)
        return replace(fields, member_ids=frozenset(ids))
    if key == "displayname":
        if op == "remove":
            raise invalid("displayName cannot be removed.", ScimErrorCode.MUTABILITY)
        text = _text(value, "displayName", limit=200)
        if not text:
            raise invalid("displayName cannot be empty.")
        return replace(fields, display_name=text)
    if key == "externalid":
        return replace(fields, external_id="" if op == "remove" else _text(value, "externalId"))
    if key == "id" and op != "remove":  # Okta repeats the id in a path-less replace
        return fields
    raise invalid(f"The path {path} is not supported.", ScimErrorCode.INVALID_PATH)


def group_fields_patched(fields: GroupFields, body: Any) -> GroupFields:
    for op, path, value in _operations(body):
        if path:
            fields = _group_set(fields, op, path, value)
            continue
        if op == "remove":
            raise invalid("A remove needs a path.", ScimErrorCode.NO_TARGET)
        if not isinstance(value, dict):
            raise invalid("Without a path, the value must be an object.")
        for key, item in value.items():
            fields = _group_set(fields, op, key, item)
    return fields


def group_resource(group: ScimGroup, base: str, *, members: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": str(group.pk),
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": f"{base}/Groups/{group.pk}",
        },
    }
    if group.external_id:
        resource["externalId"] = group.external_id
    if members:
        resource["members"] = [
            {
                "value": str(member.pk),
                "display": member.full_name,
                "$ref": f"{base}/Users/{member.pk}",
            }
            for member in group.members.all()
        ]
    return resource


# --- PatchOp ---------------------------------------------------------------------------------


def _operations(body: Any) -> list[tuple[str, str, Any]]:
    body = _require_schema(body, PATCH_OP)
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid("Operations must be a non-empty list.", ScimErrorCode.INVALID_SYNTAX)
    found = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise invalid("Each operation must be an object.", ScimErrorCode.INVALID_SYNTAX)
        op = operation.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid("op must be add, replace or remove.", ScimErrorCode.INVALID_SYNTAX)
        path = operation.get("path") or ""
        if not isinstance(path, str):
            raise invalid("path must be a string.", ScimErrorCode.INVALID_PATH)
        found.append((op.lower(), path.strip(), operation.get("value")))
    return found
