"""SCIM test helpers: a token of tenant A or B and a client that sends it to /scim/v2/ over
HTTP (the Django test client against the real endpoints)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.scim.services import scim_token_create
from tests.conftest import host_of
from tests.notifications.fixtures import smtp_server  # noqa: F401  (the real SMTP server)

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimClient:
    def __init__(self, host: str, token: str | None) -> None:
        self.client = Client(HTTP_HOST=host)
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(f"/scim/v2/{path}", params or {}, headers=self._headers())

    def send(self, method: str, path: str, body: Any, *, raw: bool = False):
        data = body if raw else json.dumps(body)
        return self.client.generic(
            method,
            f"/scim/v2/{path}",
            data,
            content_type="application/scim+json",
            headers=self._headers(),
        )

    def post(self, path: str, body: Any, **kwargs: Any):
        return self.send("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any):
        return self.send("PUT", path, body, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]]):
        return self.send("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations})

    def delete(self, path: str):
        return self.client.delete(f"/scim/v2/{path}", headers=self._headers())


def token_for(tenant, admin, scopes=("users", "groups"), name="Entra ID") -> str:
    with tenant_context(tenant):
        _, text = scim_token_create(actor=admin, name=name, scopes=scopes)
    return text


@pytest.fixture
def scim(tenant_a, alice) -> ScimClient:
    return ScimClient(host_of("alpha"), token_for(tenant_a, alice))


def user_body(user_name: str, given: str = "Mia", family: str = "Manager", **extra: Any):
    return {
        "schemas": [CORE_USER],
        "userName": user_name,
        "externalId": f"ext-{user_name}",
        "name": {"givenName": given, "familyName": family},
        "displayName": f"{given} {family}",
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


def scim_error_of(response, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def audit_entries(tenant, action: str) -> list[Any]:
    from apps.audit.models import AuditEntry

    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("sequence"))
