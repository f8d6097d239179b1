"""Writes for partners and tenants: provisioning by cloning the template schema."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from apps.tenants.exceptions import ProvisioningError
from apps.tenants.models import Branding, Domain, Partner, Tenant

PUBLIC_SCHEMA = "public"
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "public", "static", "media", "mail", "email", "smtp", "app",
        "apps", "support", "status", "partner", "partners", "root", "template", "tenant",
        "tenants", "countersign", "help", "docs", "login", "auth", "sso", "assets", "cdn",
        "pg", "postgres", "information-schema", "healthz", "readyz", "test", "localhost",
    }
)  # fmt: skip
_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
SLUG_MIN, SLUG_MAX = 3, 40


def tenant_slug_problems(slug: str) -> list[str]:
    """Every reason a slug cannot name a tenant, in words a partner admin understands."""
    problems = []
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        problems.append(f"Use between {SLUG_MIN} and {SLUG_MAX} characters.")
    if slug != slug.lower():
        problems.append("Use lowercase letters only.")
    if not _SLUG_PATTERN.match(slug.lower()) or "--" in slug:
        problems.append(
            "Start with a letter, end with a letter or digit, and use only letters, digits "
            "and single hyphens."
        )
    if slug.lower() in RESERVED_SLUGS or slug.lower().startswith("pg"):
        problems.append(f'"{slug}" is reserved; choose another name.')
    return problems


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def platform_ensure() -> Tenant:
    """The public-schema tenant row that routes the root host to the partner console."""
    platform, _ = Tenant.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA, defaults={"slug": "platform", "name": settings.PLATFORM_NAME}
    )
    Domain.objects.get_or_create(
        domain=settings.PLATFORM_DOMAIN, defaults={"tenant": platform, "is_primary": True}
    )
    return platform


def template_schema_ensure(*, verbosity: int = 0) -> None:
    """Build or upgrade the template schema that new tenants are cloned from.

    Migrations are replayed here only; tenant creation copies the result.
    """
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=template,
        interactive=False,
        verbosity=verbosity,
    )
    connection.set_schema_to_public()


def tenant_create(
    *,
    partner: Partner,
    slug: str,
    name: str,
    branding: dict[str, str] | None = None,
) -> Tenant:
    """Create a tenant with its schema (cloned from the template), primary domain and branding."""
    slug = slug.strip()
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if problems := tenant_slug_problems(slug):
        errors["slug"] = problems
    elif Tenant.objects.filter(slug=slug).exists():
        errors["slug"] = [f'A tenant called "{slug}" already exists.']
    if not name:
        errors["name"] = ["Give the tenant a name."]
    if errors:
        raise ValidationError(errors)
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise ProvisioningError(
            "The template schema does not exist yet; run `manage.py setup` once before "
            "creating tenants."
        )

    branding_fields = {"display_name": name, **(branding or {})}
    brand = Branding(**branding_fields)
    brand.full_clean(exclude=["tenant"])

    with transaction.atomic():
        tenant = Tenant(schema_name=schema_name_for(slug), slug=slug, name=name, partner=partner)
        tenant.save(verbosity=0)
        Domain.objects.create(
            domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
        )
        brand.tenant = tenant
        brand.save()
    return tenant


def partner_ensure(*, name: str, slug: str) -> Partner:
    partner, _ = Partner.objects.get_or_create(slug=slug, defaults={"name": name})
    return partner
