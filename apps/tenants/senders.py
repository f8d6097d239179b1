"""The From address of a tenant's email, decided in one place: the tenant's sender name at its
verified sender domain, else at the platform's address (``DEFAULT_FROM_EMAIL``)."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings

from apps.core.text import header_clean
from apps.tenants.models import Branding


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
