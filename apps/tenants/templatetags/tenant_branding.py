"""Branding details the core context processor does not carry: sign-in message, favicon and
the partner's "powered by" line."""

from typing import Any

from django import template

from apps.tenants.branding import powered_by_line
from apps.tenants.models import Branding

register = template.Library()


@register.simple_tag(takes_context=True)
def branding_extras(context: Any) -> dict[str, Any]:
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {}
    brand = Branding.objects.filter(tenant=tenant).select_related("tenant__partner").first()
    if brand is None:
        return {}
    return {
        "login_message": brand.login_message,
        "has_favicon": bool(brand.favicon),
        "powered_by": powered_by_line(brand.tenant.partner),
    }
