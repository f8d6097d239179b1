"""`Authorization: Bearer <key>` against the keys of the host's tenant. A key of another
tenant is simply not in this schema, so it gets the same 401 as a made-up one."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.models import User
from apps.api.models import ApiKey
from apps.api.selectors import api_key_from_text
from apps.api.services import api_key_mark_used


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        if connection.schema_name == get_public_schema_name():  # type: ignore[attr-defined]  # django-tenants' connection
            return None  # tenant keys do not exist on the platform's own host
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        word, _, text = header.partition(" ")
        if word.lower() != self.keyword.lower():
            return None
        text = text.strip()
        if not text or " " in text:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        key = api_key_from_text(text)
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid on this host.")
        api_key_mark_used(key=key)
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular
    target_class = "apps.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of this tenant: `Authorization: Bearer cs_live_...`.",
        }
