"""Public-schema records: partners, their tenants, hostnames and branding."""

from typing import ClassVar

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from apps.core.text import header_safe
from apps.tenants.choices import PartnerRole, TenantStatus


def branding_storage() -> FileSystemStorage:
    """Logos are public, not per-tenant data, and are served by the branding view."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "branding")


def branding_upload_to(instance: "Branding", filename: str) -> str:
    """Each tenant's logo and favicon live in the tenant's own folder."""
    folder = instance.tenant.schema_name if instance.tenant_id else "unassigned"
    return f"{folder}/{filename}"


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #1d4ed8.")


class Partner(models.Model):  # type: ignore[django-manager-missing]  # Tenant subclasses an untyped mixin
    """A managed-service partner (MSP, integrator) that runs Countersign for its clients."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Defaults the partner's new tenants inherit (copied into the tenant's Branding at creation;
    # the "powered by" line stays under the partner's control and is read live).
    default_primary_colour = models.CharField(
        max_length=7, default="#1d4ed8", validators=[hex_colour]
    )
    default_accent_colour = models.CharField(
        max_length=7, default="#0f766e", validators=[hex_colour]
    )
    default_email_sender_name = models.CharField(
        max_length=100, blank=True, validators=[header_safe]
    )
    default_support_email = models.EmailField(blank=True)
    show_powered_by = models.BooleanField(
        default=False, help_text="Show a 'powered by' line on tenants' sign-in pages."
    )
    powered_by_text = models.CharField(max_length=120, blank=True)
    show_in_emails = models.BooleanField(
        default=False, help_text="Name this partner in the footer of its tenants' emails."
    )
    tenant_database = models.CharField(
        max_length=63,
        blank=True,
        help_text="The cluster (DATABASES alias) for this partner's new tenants; blank: the "
        "least loaded one.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerMembership(models.Model):
    """Links a public-schema user (partner staff) to the partner they work for."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership"
    )
    role = models.CharField(max_length=20, choices=PartnerRole.choices, default=PartnerRole.STAFF)

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


def server_time_zone() -> str:
    """A new tenant's time zone until the partner chooses one: the server's TIME_ZONE."""
    return str(settings.TIME_ZONE)


class Tenant(TenantMixin):  # type: ignore[misc]  # django-tenants is untyped
    """A client organisation with its own schema. The row with schema ``public`` is the
    platform itself (the partner console on the root host) and has no partner."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="tenants", null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    support_requires_approval = models.BooleanField(
        default=False, help_text="Partner support access waits for a tenant admin's approval."
    )
    time_zone = models.CharField(
        max_length=64,
        default=server_time_zone,
        help_text="Times on pages, emails, PDFs and exports; a person may choose their own.",
    )
    currency = models.CharField(
        max_length=3, default="USD", help_text="ISO 4217 code amounts are shown in (e.g. USD)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The PostgreSQL cluster (DATABASES alias) holding the schema; the directory (this table)
    # is always on "default" (docs/scaling.md). Switched last by `tenant_move`.
    database = models.CharField(max_length=63, default="default")
    # Set while `tenant_move` copies the schema: the site and API refuse writes (503).
    moving_since = models.DateTimeField(null=True, blank=True)

    # Saving a new tenant clones the template schema (TENANT_BASE_SCHEMA); see services.
    auto_create_schema = True
    auto_drop_schema = False
    clone_mode = "NODATA"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    schema_name: str  # declared by TenantMixin
    objects: ClassVar["models.Manager[Tenant]"]  # TenantMixin is untyped

    @property
    def is_platform(self) -> bool:
        return self.schema_name == "public"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """Clone the template through the owner's function (the application role may not run
        DDL; apps.core.postgres.roles), then record its migrations as applied. On the
        tenant's own cluster (`database`)."""
        from apps.core.postgres.clusters import cluster_selected

        with cluster_selected(self.database or "default"):
            return self._create_schema_here(check_if_exists, sync_schema, verbosity)

    def _create_schema_here(self, check_if_exists: bool, sync_schema: bool, verbosity: int) -> bool:
        from django.core.management import call_command
        from django.db import connection
        from django_tenants.utils import schema_exists

        from apps.core.postgres.roles import schema_clone

        if check_if_exists and schema_exists(self.schema_name):
            return False
        if sync_schema:
            connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants'
            schema_clone(self.schema_name)
            call_command(
                "migrate_schemas",
                tenant=True,
                fake=True,
                schema_name=self.schema_name,
                interactive=False,
                verbosity=verbosity,
            )
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants'
        return True

    def _drop_schema(self, force_drop: bool = False) -> None:
        """Drop through the owner's function: only a schema without audit history."""
        from django_tenants.utils import schema_exists

        from apps.core.postgres.roles import schema_drop

        if (self.auto_drop_schema or force_drop) and schema_exists(self.schema_name):
            schema_drop(self.schema_name)


class Domain(DomainMixin):  # type: ignore[misc]  # django-tenants is untyped
    """A hostname routed to a tenant (``<slug>.<PLATFORM_DOMAIN>`` or a verified custom one)."""

    domain: str  # declared by DomainMixin
    objects: ClassVar["models.Manager[Domain]"]  # DomainMixin is untyped

    def __str__(self) -> str:
        return self.domain


class Branding(models.Model):
    """How a tenant looks: on every page, email, email-link page and PDF."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="branding")
    display_name = models.CharField(max_length=200, validators=[header_safe])  # in subjects
    logo = models.FileField(
        storage=branding_storage,
        upload_to=branding_upload_to,
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg", "webp"])],
    )
    favicon = models.FileField(
        storage=branding_storage,
        upload_to=branding_upload_to,
        blank=True,
        validators=[FileExtensionValidator(["png", "svg", "ico"])],
    )
    primary_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#0f766e", validators=[hex_colour])
    email_sender_name = models.CharField(max_length=100, blank=True, validators=[header_safe])
    email_reply_to = models.EmailField(blank=True, validators=[header_safe])
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    login_message = models.CharField(max_length=500, blank=True)
    # The tenant's own mail domain (e.g. stbrigid.org). Used in From only once a DNS TXT record
    # proves the tenant controls it (apps/tenants/sender_domains.py), like a custom domain.
    sender_domain = models.CharField(max_length=253, blank=True)
    sender_domain_token = models.CharField(max_length=64, blank=True)
    sender_domain_verified_at = models.DateTimeField(null=True, blank=True)
    sender_domain_checked_at = models.DateTimeField(null=True, blank=True)
    sender_domain_problem = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Branding of {self.display_name}"

    @property
    def sender_domain_verified(self) -> bool:
        return bool(self.sender_domain and self.sender_domain_verified_at)


class CustomDomain(models.Model):
    """A hostname a tenant wants to use. It is routed (copied into ``Domain``) only once a DNS
    TXT record proves the tenant controls it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="custom_domains")
    domain = models.CharField(max_length=253, unique=True)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_problem = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class TemplatePack(models.Model):
    """A library of workflow templates; ``partner`` empty means the platform ships it."""

    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="template_packs"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="one_pack_key_per_partner"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(partner__isnull=True),
                name="one_platform_pack_per_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplatePackVersion(models.Model):
    """An immutable release of a pack: its manifest and the spec of every template."""

    pack = models.ForeignKey(TemplatePack, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=30)
    sort_key = models.CharField(max_length=60, help_text="Zero-padded version for ordering.")
    manifest = models.JSONField()
    templates = models.JSONField(help_text="{template key: workflow spec}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pack", "-sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "version"], name="one_release_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.pack.key} {self.version}"


class TemplateInstallation(models.Model):
    """Which pack version a tenant's workflow was installed or last updated from (its pin)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="installations")
    pack_version = models.ForeignKey(
        TemplatePackVersion, on_delete=models.PROTECT, related_name="installations"
    )
    template_key = models.SlugField(max_length=80)
    installed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "template_key"], name="one_pin_per_tenant_template"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_key}@{self.pack_version.version}"


class TenantHealth(models.Model):
    """A per-tenant summary refreshed in the background so the console never reads
    500 schemas on a page view."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="health")
    open_requests = models.PositiveIntegerField(default=0)
    sla_breaches = models.PositiveIntegerField(default=0)
    exception_queue = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Health of {self.tenant}"

    @property
    def level(self) -> str:
        if self.sla_breaches or self.exception_queue:
            return "attention"
        return "ok"


class SupportGrant(models.Model):
    """Time-boxed permission for one partner user to enter one tenant, with a reason."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="support_grants")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="support_grants")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_grants"
    )
    requested_by_name = models.CharField(max_length=200)
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    duration_minutes = models.PositiveIntegerField(default=60)
    requires_approval = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by_email = models.EmailField(blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    entry_nonce = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Support for {self.tenant} by {self.requested_by_name}"

    def is_active(self, now: "object") -> bool:
        return (
            self.revoked_at is None
            and self.starts_at is not None
            and self.expires_at is not None
            and self.starts_at <= now < self.expires_at  # type: ignore[operator]
        )


class SupportSession(models.Model):
    """One sign-in of a partner user on a tenant host under a grant; visible to tenant admins."""

    grant = models.ForeignKey(SupportGrant, on_delete=models.CASCADE, related_name="sessions")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="support_sessions")
    support_user_email = models.EmailField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=100, blank=True)
    actions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.support_user_email} in {self.tenant} at {self.started_at:%Y-%m-%d %H:%M}"


class PartnerApiKey(models.Model):
    """A partner API key: shown once, stored as a SHA-256 hash, revocable."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_api_keys"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PooledSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting to become a tenant's.

    Creating a tenant renames one (a catalogue update) instead of cloning the template, whose cost
    grows with the number of schemas in the database. Not a tenant: nothing migrates it, so a
    pool schema is usable only while ``template_version`` matches the template
    (``apps.tenants.schema_pool``)."""

    schema_name = models.CharField(max_length=63, unique=True)
    template_version = models.CharField(
        max_length=64, help_text="Hash of the template's applied migrations when cloned."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.schema_name
