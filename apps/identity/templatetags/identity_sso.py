"""The "Sign in with <IdP>" button of the tenant sign-in page."""

from __future__ import annotations

from django import template
from django.urls import reverse

from apps.identity.selectors import identity_provider_active

register = template.Library()


@register.simple_tag
def sso_provider_name() -> str:
    """The active IdP's name, or "" (also on the partner console, which has none)."""
    provider = identity_provider_active()
    return provider.name if provider else ""


@register.simple_tag
def sso_start_path() -> str:
    """Where the sign-in button starts: the SAML or the OpenID Connect sign-in."""
    provider = identity_provider_active()
    name = "identity:saml-start" if provider and provider.is_saml else "identity:oidc-start"
    return reverse(name)
