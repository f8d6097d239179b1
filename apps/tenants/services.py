"""Writes for partners and tenants: provisioning by cloning the template schema."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.models import TenantMixin
from django_tenants.signals import post_schema_sync
from django_tenants.utils import schema_exists

from apps.core.actions import action, action_service
from apps.core.errors import invalid_from_django
from apps.core.postgres.clusters import selected_cluster
from apps.core.time_zones import zone_problem
from apps.tenants.branding import (
    FAVICON_MAX_BYTES,
    LOGO_MAX_BYTES,
    branding_defaults_from,
    image_check,
)
from apps.tenants.choices import PartnerRole, TenantStatus
from apps.tenants.clusters import cluster_for_new_tenant, tenant_activated
from apps.tenants.exceptions import (
    InvalidInput,
    NotAllowed,
    ProvisioningError,
    TenantErrorCode,
)
from apps.tenants.models import Branding, Domain, Partner, Tenant, server_time_zone
from apps.tenants.schema_pool import lock_release, lock_take, schema_pool_claim, schema_pool_prune

logger = logging.getLogger(__name__)

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
    # "pg…" would be PostgreSQL's own schemas, "pool-…" a pool schema (apps.tenants.schema_pool).
    if slug.lower() in RESERVED_SLUGS or slug.lower().startswith(("pg", "pool-")):
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
    """Build or upgrade the template schema that new tenants are cloned from (on the selected
    cluster: each tenant cluster has its own template).

    Migrations are replayed here only; tenant creation copies the result. Pool schemas cloned
    from an older template are dropped afterwards (nothing migrates them); the pool's lock keeps
    a fill from cloning the template while it is being migrated.
    """
    template = settings.TENANT_BASE_SCHEMA
    lock_take(session=True)
    try:
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
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
        if selected_cluster() == "default":  # the pool is the directory cluster's
            schema_pool_prune()
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
        lock_release()


def _tenant_create_check(
    *,
    partner: Partner,
    slug: str,
    name: str,
    branding: dict[str, str] | None,
    time_zone: str = "",
) -> Branding:
    """Every refusal of a new tenant, before anything is written; returns its unsaved branding."""
    errors: dict[str, list[str]] = {}
    code: str = TenantErrorCode.INVALID
    if problems := tenant_slug_problems(slug):
        errors["slug"], code = problems, TenantErrorCode.SLUG_INVALID
    elif (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=f"{slug}.{settings.PLATFORM_DOMAIN}").exists()
    ):
        errors["slug"], code = (
            [f'A tenant called "{slug}" already exists.'],
            TenantErrorCode.SLUG_TAKEN,
        )
    if not name:
        errors["name"] = ["Give the tenant a name."]
        code = code if errors.get("slug") else TenantErrorCode.NAME_MISSING
    if time_zone and (problem := zone_problem(time_zone)):
        errors["time_zone"] = [problem]
        code = code if len(errors) > 1 else TenantErrorCode.TIME_ZONE_INVALID
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], code=code, fields=errors)
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise ProvisioningError(
            "The template schema does not exist yet; run `manage.py setup` once before "
            "creating tenants."
        )
    branding_fields = {"display_name": name, **branding_defaults_from(partner), **(branding or {})}
    brand = Branding(**branding_fields)
    try:
        brand.full_clean(exclude=["tenant"])
    except ValidationError as error:
        raise invalid_from_django(error, code=TenantErrorCode.BRANDING_INVALID) from error
    return brand


def tenant_create(
    *,
    partner: Partner,
    slug: str,
    name: str,
    branding: dict[str, str] | None = None,
    time_zone: str = "",
    database: str = "",
) -> Tenant:
    """Create a tenant with its schema, primary domain and branding (times in `time_zone`,
    else the server's TIME_ZONE), on the cluster named by `database` or the partner, else the
    least loaded one (apps.tenants.clusters).

    The schema is a ready one from the pool, renamed, or else a clone of the template made now;
    both are the same tables and bookkeeping. A used pool schema is replaced after commit. The
    pool is the directory cluster's: a tenant on another cluster is always a clone (made on
    that cluster, so a failure after it leaves an unused schema there, not a tenant)."""
    slug = slug.strip()
    name = name.strip()
    time_zone = time_zone.strip()
    brand = _tenant_create_check(
        partner=partner, slug=slug, name=name, branding=branding, time_zone=time_zone
    )
    database = cluster_for_new_tenant(database.strip() or partner.tenant_database)

    with action(actor=None):
        tenant = Tenant(schema_name=schema_name_for(slug), slug=slug, name=name, partner=partner)
        tenant.time_zone = time_zone or server_time_zone()
        tenant.database = database
        pooled = database == "default" and schema_pool_claim(schema_name=tenant.schema_name)
        tenant.auto_create_schema = not pooled
        tenant.save(verbosity=0)
        if pooled:
            # What save() sends after cloning, so a listener treats both paths alike.
            post_schema_sync.send(sender=TenantMixin, tenant=tenant.serializable_fields())
        Domain.objects.create(
            domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
        )
        brand.tenant = tenant
        brand.save()
        if settings.TENANT_SCHEMA_POOL_SIZE > 0:
            transaction.on_commit(schema_pool_refill_request)
        # The console's health columns are filled from the start, not at the next beat.
        transaction.on_commit(lambda: _health_first(tenant))
    return tenant


def _health_first(tenant: Tenant) -> None:
    from apps.tenants.health import tenant_health_refresh

    try:
        tenant_health_refresh(tenant=tenant)
    except Exception:  # the beat refreshes every 5 minutes; a new tenant must not fail here
        logger.exception("First health row of tenant %s not written", tenant.slug)


def schema_pool_refill_request() -> None:
    """Ask a worker to fill the schema pool (after a tenant took one, and after the migration
    job changed the template). Without a broker it only logs: the beat fills the pool every
    5 minutes, and creations clone meanwhile."""
    from apps.tenants.tasks import schema_pool_fill

    try:
        schema_pool_fill.delay()
    except Exception as error:
        logger.warning(
            "Schema pool refill not queued (%s); the beat will fill it", type(error).__name__
        )


def partner_ensure(*, name: str, slug: str) -> Partner:
    partner, _ = Partner.objects.get_or_create(slug=slug, defaults={"name": name})
    return partner


# --- who may act ----------------------------------------------------------------------------------


def require_partner_member(actor: Any, tenant: Tenant, *, admin: bool = False) -> None:
    """Partner staff act only on their own partner's tenants; some actions need a partner admin."""
    membership = getattr(actor, "partner_membership", None) if actor is not None else None
    if membership is None or tenant.partner_id != membership.partner_id:
        raise NotAllowed(
            "This tenant belongs to another partner.", code=TenantErrorCode.OTHER_PARTNER
        )
    if admin and membership.role != PartnerRole.ADMIN:
        raise NotAllowed(
            "Only partner administrators can do this.", code=TenantErrorCode.PARTNER_ADMIN_ONLY
        )


# --- lifecycle ------------------------------------------------------------------------------------


def _status_set(tenant: Tenant, status: str, reason: str) -> Tenant:
    tenant.status = status
    tenant.status_reason = reason.strip()[:300]
    tenant.status_changed_at = timezone.now()
    tenant.save(update_fields=["status", "status_reason", "status_changed_at"])
    return tenant


@action_service
def tenant_suspend(*, actor: Any, tenant: Tenant, reason: str = "") -> Tenant:
    """Stop the tenant's site and API (nothing is deleted)."""
    require_partner_member(actor, tenant, admin=True)
    if tenant.status == TenantStatus.ARCHIVED:
        raise InvalidInput(
            "An archived tenant cannot be suspended.",
            code=TenantErrorCode.STATUS_INVALID,
            field="status",
        )
    return _status_set(tenant, TenantStatus.SUSPENDED, reason)


@action_service
def tenant_reactivate(*, actor: Any, tenant: Tenant) -> Tenant:
    require_partner_member(actor, tenant, admin=True)
    if tenant.status == TenantStatus.ARCHIVED:
        raise InvalidInput(
            "An archived tenant cannot be reactivated here.",
            code=TenantErrorCode.STATUS_INVALID,
            field="status",
        )
    return _status_set(tenant, TenantStatus.ACTIVE, "")


@action_service
def tenant_archive(*, actor: Any, tenant: Tenant, reason: str = "") -> Tenant:
    """Mark archived: the site stays closed; the schema and its data are kept."""
    require_partner_member(actor, tenant, admin=True)
    return _status_set(tenant, TenantStatus.ARCHIVED, reason or "Archived")


def tenant_export(*, actor: Any, tenant: Tenant) -> dict[str, Any]:
    """Metadata of the tenant's users, workflows and requests (no form answers: no PHI)."""
    require_partner_member(actor, tenant, admin=True)
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest
    from apps.workflows.models import WorkflowDefinition

    with tenant_activated(tenant):
        users = [
            {
                "email": u.email,
                "full_name": u.full_name,
                "is_active": u.is_active,
                "is_tenant_admin": u.is_tenant_admin,
                "date_joined": u.date_joined.isoformat(),
            }
            for u in User.objects.order_by("email")
        ]
        workflows = [
            {
                "key": d.key,
                "name": d.name,
                "category": d.category,
                "source_template": d.source_template,
                "versions": sorted(d.versions.values_list("number", flat=True)),
            }
            for d in WorkflowDefinition.objects.prefetch_related("versions").order_by("key")
        ]
        requests = [
            {
                "reference": r.reference,
                "workflow": r.workflow_version.definition.key,
                "workflow_version": r.workflow_version.number,
                "status": r.status,
                "urgency": r.urgency,
                "created_at": r.created_at.isoformat(),
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            }
            for r in ApprovalRequest.objects.select_related(
                "workflow_version__definition"
            ).order_by("created_at")
        ]
    return {
        "tenant": {
            "slug": tenant.slug,
            "name": tenant.name,
            "status": tenant.status,
            "created_at": tenant.created_at.isoformat(),
        },
        "exported_at": timezone.now().isoformat(),
        "users": users,
        "workflows": workflows,
        "requests": requests,
    }


# --- branding -------------------------------------------------------------------------------------

BRANDING_TEXT_FIELDS = (
    "display_name",
    "primary_colour",
    "accent_colour",
    "email_sender_name",
    "email_reply_to",
    "support_email",
    "support_phone",
    "login_message",
)


def branding_images_check(
    *, logo: UploadedFile[bytes] | None = None, favicon: UploadedFile[bytes] | None = None
) -> None:
    """Refuse a logo or favicon before anything is written."""
    if logo is not None:
        image_check(
            logo, field="logo", allowed=("png", "jpeg", "webp", "svg"), max_bytes=LOGO_MAX_BYTES
        )
    if favicon is not None:
        image_check(
            favicon, field="favicon", allowed=("png", "svg", "ico"), max_bytes=FAVICON_MAX_BYTES
        )


@action_service
def tenant_branding_update(
    *,
    actor: Any,
    tenant: Tenant,
    values: dict[str, str],
    logo: UploadedFile[bytes] | None = None,
    favicon: UploadedFile[bytes] | None = None,
) -> Branding:
    require_partner_member(actor, tenant)
    brand = Branding.objects.select_for_update().get(tenant=tenant)
    for key, value in values.items():
        if key in BRANDING_TEXT_FIELDS:
            setattr(brand, key, value.strip() if isinstance(value, str) else value)
    branding_images_check(logo=logo, favicon=favicon)
    try:
        brand.full_clean(exclude=["tenant", "logo", "favicon"])
    except ValidationError as error:
        raise invalid_from_django(error, code=TenantErrorCode.BRANDING_INVALID) from error
    if logo is not None:
        brand.logo.save(logo.name or "logo", logo, save=False)
    if favicon is not None:
        brand.favicon.save(favicon.name or "favicon", favicon, save=False)
    brand.save()
    if "display_name" in values and values["display_name"].strip():
        tenant.name = values["display_name"].strip()
        tenant.save(update_fields=["name"])
    return brand


PARTNER_DEFAULT_FIELDS = (
    "default_primary_colour",
    "default_accent_colour",
    "default_email_sender_name",
    "default_support_email",
    "show_powered_by",
    "powered_by_text",
    "show_in_emails",
)


@action_service
def partner_defaults_update(*, actor: Any, partner: Partner, values: dict[str, Any]) -> Partner:
    membership = getattr(actor, "partner_membership", None)
    if (
        membership is None
        or membership.partner_id != partner.id
        or membership.role != PartnerRole.ADMIN
    ):
        raise NotAllowed(
            "Only this partner's administrators can change its defaults.",
            code=TenantErrorCode.PARTNER_ADMIN_ONLY,
        )
    for key in PARTNER_DEFAULT_FIELDS:
        if key in values:
            setattr(partner, key, values[key])
    try:
        partner.full_clean()
    except ValidationError as error:
        raise invalid_from_django(error, code=TenantErrorCode.BRANDING_INVALID) from error
    partner.save()
    return partner


# --- the create-tenant wizard ---------------------------------------------------------------------


@action_service
def tenant_onboard(
    *,
    actor: Any,
    partner: Partner,
    slug: str,
    name: str,
    branding: dict[str, str] | None = None,
    logo: UploadedFile[bytes] | None = None,
    favicon: UploadedFile[bytes] | None = None,
    admin_email: str = "",
    admin_name: str = "",
    template_keys: list[str] | None = None,
    scheme: str = "https",
    port_suffix: str = "",
    time_zone: str = "",
) -> tuple[Tenant, str]:
    """Everything the wizard (and the partner API) does, as one action: create the tenant with
    its schema, domain and branding (logo and favicon included), install template packs and
    invite its first administrator. Everything is checked before anything is written, and all
    of it runs in one transaction (PostgreSQL rolls the new schema back too), so a refusal
    leaves nothing behind. Returns the tenant and the invitation link ("" when nobody invited).
    """
    from apps.accounts.invitations import invitation_create
    from apps.tenants.packs import template_keys_check, template_packs_install

    membership = getattr(actor, "partner_membership", None)
    if membership is None or membership.partner_id != partner.id:
        raise NotAllowed(
            "Only this partner's staff can create its tenants.", code=TenantErrorCode.OTHER_PARTNER
        )
    if membership.role != PartnerRole.ADMIN:
        raise NotAllowed(
            "Only partner administrators can create tenants.",
            code=TenantErrorCode.PARTNER_ADMIN_ONLY,
        )
    _tenant_create_check(
        partner=partner,
        slug=slug.strip(),
        name=name.strip(),
        branding=branding,
        time_zone=time_zone.strip(),
    )
    branding_images_check(logo=logo, favicon=favicon)
    if template_keys:
        template_keys_check(template_keys)
    if admin_email:
        from apps.accounts.invitations import invitation_email_check

        invitation_email_check(admin_email)

    tenant = tenant_create(
        partner=partner, slug=slug, name=name, branding=branding, time_zone=time_zone
    )
    if logo is not None or favicon is not None:
        brand = Branding.objects.get(tenant=tenant)
        if logo is not None:
            brand.logo.save(logo.name or "logo", logo, save=False)
        if favicon is not None:
            brand.favicon.save(favicon.name or "favicon", favicon, save=False)
        brand.save()
    if template_keys:
        template_packs_install(actor=actor, tenant=tenant, template_keys=template_keys)
    link = ""
    if admin_email:
        with tenant_activated(tenant):
            link = invitation_create(
                actor=None,
                email=admin_email,
                full_name=admin_name,
                is_tenant_admin=True,
                base_url=f"{scheme}://{slug}.{settings.PLATFORM_DOMAIN}{port_suffix}",
                invited_by=getattr(actor, "full_name", ""),
            )
    return tenant, link


# The old name, kept for callers that provision without images.
tenant_provision = tenant_onboard
