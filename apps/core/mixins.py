"""View mixins every app's pages share. Part of the core foundation: imports no app."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import HttpRequest


class TenantAdminMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Pages for tenant administrators; everyone else gets 403 (anonymous: the login page)."""

    request: HttpRequest

    def test_func(self) -> bool:
        return bool(getattr(self.request.user, "is_tenant_admin", False))
