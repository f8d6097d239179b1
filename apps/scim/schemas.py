"""The discovery documents of RFC 7643/7644: ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from typing import Any

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

CONTENT_TYPE = "application/scim+json"
MAX_RESULTS = 200
DOCS_URL = "https://countersign.example/docs/identity-scim"


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": DOCS_URL,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token of this tenant: `Authorization: Bearer scim_...`.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "documentationUri": DOCS_URL,
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person of this tenant.",
            "schema": CORE_USER,
            "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A directory group; the tenant administrator maps it to a role.",
            "schema": CORE_GROUP,
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


def _attr(
    name: str,
    type_: str = "string",
    *,
    multi: bool = False,
    required: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
    case_exact: bool = False,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub:
        attribute["subAttributes"] = sub
    return attribute


def schemas(base: str) -> list[dict[str, Any]]:
    user = {
        "id": CORE_USER,
        "name": "User",
        "description": "A person of this tenant.",
        "attributes": [
            _attr("userName", required=True, uniqueness="server"),
            _attr("externalId", case_exact=True),
            _attr("name", "complex", sub=[_attr("givenName"), _attr("familyName")]),
            _attr("displayName"),
            _attr("title"),
            _attr("active", "boolean"),
            _attr(
                "emails",
                "complex",
                multi=True,
                sub=[_attr("value"), _attr("type"), _attr("primary", "boolean")],
            ),
            _attr(
                "groups",
                "complex",
                multi=True,
                mutability="readOnly",
                sub=[
                    _attr("value", mutability="readOnly"),
                    _attr("display", mutability="readOnly"),
                ],
            ),
        ],
    }
    enterprise = {
        "id": ENTERPRISE_USER,
        "name": "EnterpriseUser",
        "description": "The person's manager: their open tasks go to the manager when they leave.",
        "attributes": [
            _attr(
                "manager",
                "complex",
                sub=[_attr("value"), _attr("displayName", mutability="readOnly")],
            ),
        ],
    }
    group = {
        "id": CORE_GROUP,
        "name": "Group",
        "description": "A directory group.",
        "attributes": [
            _attr("displayName", required=True, uniqueness="server"),
            _attr("externalId", case_exact=True),
            _attr(
                "members",
                "complex",
                multi=True,
                sub=[_attr("value"), _attr("display", mutability="readOnly")],
            ),
        ],
    }
    found = []
    for schema in (user, enterprise, group):
        found.append(
            {
                "schemas": [SCHEMA],
                **schema,
                "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{schema['id']}"},
            }
        )
    return found
