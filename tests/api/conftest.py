"""API test helpers: keys of tenant A and B, and a JSON client that sends them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.api.choices import ALL_SCOPES
from apps.api.services import api_key_create


class ApiClient:
    """A test client for one host and one key; bodies are JSON unless told otherwise."""

    def __init__(self, host: str, key: str | None = None) -> None:
        self.client = Client(HTTP_HOST=host)
        self.key = key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return headers | (extra or {})

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str):
        return self.client.get(path, params or {}, headers=self.headers(headers))

    def post(self, path: str, body: Any = None, *, multipart: bool = False, **headers: str):
        if multipart:
            return self.client.post(path, body or {}, headers=self.headers(headers))
        return self.client.post(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers(headers),
        )

    def delete(self, path: str, **headers: str):
        return self.client.delete(path, headers=self.headers(headers))

    def request(self, method: str, path: str, body: Any = None, **headers: str):
        if method == "GET":
            return self.get(path, **headers)
        if method == "DELETE":
            return self.delete(path, **headers)
        return self.post(path, body, **headers)


def key_for(tenant, owner, scopes=None, name="test key") -> str:
    """A key of `tenant` for `owner`; by default every scope the owner may hold."""
    if scopes is None:
        scopes = [s for s in ALL_SCOPES if s != "admin" or owner.is_tenant_admin]
    with tenant_context(tenant):
        _, text = api_key_create(actor=None, name=name, scopes=scopes, owner=owner)
    return text


@pytest.fixture
def api(tenant_a):
    """api(user, scopes=...) -> an ApiClient on tenant A's host with a fresh key."""

    def make(owner, scopes=None) -> ApiClient:
        return ApiClient("alpha.localhost", key_for(tenant_a, owner, scopes))

    return make


def error_of(response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]
