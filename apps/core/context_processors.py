"""Puts the current tenant's branding (or the platform's) into every template."""

from django.conf import settings
from django.http import HttpRequest

from apps.tenants.models import Branding, Tenant

PLATFORM_BRANDING = {
    "display_name": settings.PLATFORM_NAME,
    "primary_colour": "#334155",
    "accent_colour": "#0f766e",
    "has_logo": False,
    "is_platform": True,
}


def branding(request: HttpRequest) -> dict[str, object]:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {"branding": PLATFORM_BRANDING}
    if Tenant.branding.related.is_cached(tenant):  # read with the tenant by its host's lookup
        brand = getattr(tenant, "branding", None)  # None: the tenant has no Branding row
    else:
        brand = Branding.objects.filter(tenant=tenant).first()
    if brand is None:
        return {
            "branding": {**PLATFORM_BRANDING, "display_name": tenant.name, "is_platform": False}
        }
    return {
        "branding": {
            "display_name": brand.display_name,
            "primary_colour": brand.primary_colour,
            "accent_colour": brand.accent_colour,
            "has_logo": bool(brand.logo),
            "support_email": brand.support_email,
            "support_phone": brand.support_phone,
            "is_platform": False,
        }
    }
