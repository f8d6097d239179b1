"""The From address of a tenant's email, decided in one place: the tenant's sender name at its
verified sender domain, else at the platform's address (``DEFAULT_FROM_EMAIL``)."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.urls import reverse

from apps.core.text import header_clean
from apps.tenants.models import Branding, Partner, Tenant


def email_from(brand: Branding | None) -> str:
    """``"St. Brigid Regional Health" <no-reply@stbrigid.org>`` once stbrigid.org is verified,
    ``"St. Brigid Regional Health" <no-reply@<platform>>`` before; the platform's own From when
    there is no tenant branding (the platform itself sends)."""
    if brand is None:
        return str(settings.DEFAULT_FROM_EMAIL)
    _, platform_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    address = platform_address
    if brand.sender_domain_verified:
        local = platform_address.partition("@")[0] or "no-reply"
        address = f"{local}@{brand.sender_domain}"
    # Names were typed by admins: a line break or quote in one must not break the header.
    name = header_clean(brand.email_sender_name or brand.display_name)
    name = name.replace('"', "").replace("<", "").replace(">", "").strip()
    return formataddr((name, address)) if name else address


def footer_line(display_name: str, partner: Partner | None) -> str:
    """Who sent the email: the tenant, and its partner only when the partner chose to be named
    (``Partner.show_in_emails``). Never the platform's product name."""
    if partner is not None and partner.show_in_emails:
        return f"Sent by {display_name} through {partner.name}."
    return f"Sent by {display_name}."


def email_brand(tenant: Tenant, *, base: str) -> dict[str, Any]:
    """The tenant's look for its emails (templates/emails/_layout.html); `base` is
    `scheme://host` of the tenant's site, for the logo's address."""
    brand = Branding.objects.select_related("tenant__partner").filter(tenant=tenant).first()
    display_name = brand.display_name if brand else tenant.name
    return {
        "display_name": display_name,
        "from_email": email_from(brand),
        "footer": footer_line(display_name, brand.tenant.partner if brand else None),
        "primary_colour": brand.primary_colour if brand else "#334155",
        "accent_colour": brand.accent_colour if brand else "#0f766e",
        # The tenant site's address, also when the partner console (public URLconf) sends.
        "logo_url": (
            f"{base}{reverse('branding-logo', urlconf=settings.ROOT_URLCONF)}"
            if brand and brand.logo
            else ""
        ),
        "support_email": brand.support_email if brand else "",
        "support_phone": brand.support_phone if brand else "",
    }
