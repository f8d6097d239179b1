"""Public-schema records: partners, their tenants, hostnames and branding."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from apps.tenants.choices import PartnerRole, TenantStatus


def branding_storage() -> FileSystemStorage:
    """Logos are public, not per-tenant data, and are served by the branding view."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "branding")


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #1d4ed8.")


class Partner(models.Model):
    """A managed-service partner (MSP, integrator) that runs Countersign for its clients."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

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


class Tenant(TenantMixin):
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
    created_at = models.DateTimeField(auto_now_add=True)

    # Saving a new tenant clones the template schema (TENANT_BASE_SCHEMA); see services.
    auto_create_schema = True
    auto_drop_schema = False
    clone_mode = "NODATA"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_platform(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    """A hostname routed to a tenant (``<slug>.<PLATFORM_DOMAIN>`` or a verified custom one)."""

    def __str__(self) -> str:
        return self.domain


class Branding(models.Model):
    """How a tenant looks: on every page, email, email-link page and PDF."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="branding")
    display_name = models.CharField(max_length=200)
    logo = models.FileField(
        storage=branding_storage,
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg", "webp"])],
    )
    primary_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#0f766e", validators=[hex_colour])
    email_sender_name = models.CharField(max_length=100, blank=True)
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"Branding of {self.display_name}"
