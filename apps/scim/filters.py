"""SCIM `filter=` query parameters as Django Q objects, parsed by `scim2-filter-parser` (its
lexer, parser and Django transpiler). Attributes the transpiler does not know it silently drops,
which would widen a filter to everything, so each attribute is checked against ours first."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from scim2_filter_parser import ast as scim_ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser
from scim2_filter_parser.transpilers.django_q_object import Transpiler

from apps.scim.exceptions import ScimErrorCode, invalid
from apps.scim.schemas import CORE_GROUP, CORE_USER

AttrKey = tuple[str, str | None, str | None]

# (attribute, sub-attribute, schema URI) -> the field of the annotated queryset
# (`apps.scim.selectors`); keys in lowercase, as the transpiler compares them.
USER_ATTRIBUTES: dict[AttrKey, str] = {
    ("username", None, None): "scim_user_name",
    ("externalid", None, None): "scim_identities__external_id",
    ("displayname", None, None): "full_name",
    ("active", None, None): "is_active",
    ("emails", None, None): "email",
    ("emails", "value", None): "email",
    ("id", None, None): "scim_id",
}
GROUP_ATTRIBUTES: dict[AttrKey, str] = {
    ("displayname", None, None): "display_name",
    ("externalid", None, None): "external_id",
    ("id", None, None): "scim_id",
}
_CORE = {CORE_USER.lower(), CORE_GROUP.lower()}
MAX_FILTER_LENGTH = 1000


def _paths(node: Any) -> list[scim_ast.AttrPath]:
    found: list[scim_ast.AttrPath] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, scim_ast.AttrPath):
            found.append(item)
        if isinstance(item, scim_ast.AST):
            stack.extend(getattr(item, name) for name in item._fields)
    return found


def _key(path: scim_ast.AttrPath) -> AttrKey:
    name = path.attr_name
    if isinstance(name, scim_ast.Filter):  # emails[type eq "work"].value: the outer name
        inner = _paths(name)
        return (inner[-1].attr_name.lower() if inner else "", None, None)
    sub = path.sub_attr.value.lower() if path.sub_attr else None
    uri = path.uri.lower().rstrip(":") if path.uri else None
    return (name.lower(), sub, None if uri in _CORE else uri)


def filter_q(text: str, attributes: dict[AttrKey, str]) -> Q:
    """The Q of a SCIM filter over `attributes`, or an `invalidFilter` refusal."""
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid("The filter is too long.", ScimErrorCode.INVALID_FILTER)
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser raises its own and the lexer plain errors
        raise invalid(
            f"The filter cannot be parsed: {error}", ScimErrorCode.INVALID_FILTER
        ) from error
    if tree is None:
        raise invalid("The filter cannot be parsed.", ScimErrorCode.INVALID_FILTER)
    allowed = {key[0] for key in attributes}
    for path in _paths(tree):
        key = _key(path)
        if key[0] == "type" or key[0] == "primary":  # inside emails[...]: compared on email
            continue
        if key not in attributes and not (key[0] in allowed and key[1] is None):
            name = ".".join(part for part in key[:2] if part)
            raise invalid(f"Filtering on {name} is not supported.", ScimErrorCode.INVALID_FILTER)
    try:
        query = Transpiler(attributes).transpile(tree)
    except (ValueError, NotImplementedError) as error:
        raise invalid(
            f"The filter is not supported: {error}", ScimErrorCode.INVALID_FILTER
        ) from error
    if not isinstance(query, Q):
        raise invalid("The filter is not supported.", ScimErrorCode.INVALID_FILTER)
    return query
