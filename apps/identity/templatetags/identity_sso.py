"""The "Sign in with <IdP>" button of the tenant sign-in page."""

from __future__ import annotations

from django import template

from apps.identity.selectors import identity_provider_active

register = template.Library()


@register.simple_tag
def sso_provider_name() -> str:
    """The active IdP's name, or "" (also on the partner console, which has none)."""
    provider = identity_provider_active()
    return provider.name if provider else ""
