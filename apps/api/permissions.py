"""Scopes: a key is limited to its scopes on top of its owner's own rights. A browser session
carries every scope (the person's rights are the only limit)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from apps.api.choices import Scope
from apps.api.models import ApiKey

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def required_scope(view: Any, method: str) -> str:
    """A view declares `read_scope` (default requests:read) and `write_scope`."""
    if method in READ_METHODS:
        return getattr(view, "read_scope", Scope.REQUESTS_READ)
    return getattr(view, "write_scope", Scope.REQUESTS_WRITE)


class HasScope(permissions.BasePermission):
    message = "This key's scopes do not allow this."
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope = required_scope(view, request.method or "GET")
        if isinstance(request.auth, ApiKey) and not request.auth.has_scope(scope):
            self.message = f"This key lacks the {scope} scope."
            return False
        if scope == Scope.ADMIN and not request.user.is_tenant_admin:
            self.message = "Only tenant administrators can do this."
            self.code = "not_allowed"
            return False
        return True
