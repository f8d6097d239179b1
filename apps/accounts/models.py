"""People who sign in. The table exists in every schema: partner staff in public, tenant staff in
their tenant, so a tenant user does not exist anywhere else."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from apps.core.text import email_normalise


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=email_normalise(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        """Sign-in looks up the normalised address (emails are stored lowercase), so
        `ALICE@Alpha.test` finds alice@alpha.test."""
        return self.get(email=email_normalise(username or ""))

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


# Support staff of the partner sign in as support+<partner>@this domain (apps.tenants.support);
# they are not people of the tenant and are left out of its user lists and org chart.
SUPPORT_EMAIL_DOMAIN = "countersign.invalid"


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the operations admin.")
    is_tenant_admin = models.BooleanField(
        default=False, help_text="Administers users, roles and workflows of this tenant."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Blank: the organisation's time zone."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = email_normalise(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class SecurityPolicy(models.Model):
    """One row per schema: the tenant's sign-in rules (the public schema's row is unused; the
    partner console has fixed rules)."""

    require_mfa_for_everyone = models.BooleanField(
        default=False, help_text="Everyone must use two-step sign-in."
    )
    session_idle_minutes = models.PositiveIntegerField(
        default=30, help_text="Idle minutes before sign-out (5-720)."
    )

    class Meta:
        verbose_name_plural = "security policies"

    def __str__(self) -> str:
        return "Security policy"


class Invitation(models.Model):
    """One invitation link: the token is random and opaque (nothing of the tenant or the person
    can be read from it); only its SHA-256 is stored. Single use, expiring; a new invitation to
    the same person ends the earlier ones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.user_id}"
