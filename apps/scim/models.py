"""SCIM tokens, the SCIM attributes of people Countersign does not otherwise keep, the groups a
directory pushes and the tenant administrator's mapping of group names to roles. All live in
the tenant's schema, so nothing here can be reached from another tenant's host."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class ScimToken(models.Model):
    """A bearer token of one directory client. Only the SHA-256 of its secret is kept; the full
    token is shown once. It works on /scim/v2/ only (never on the REST API) and only for the
    resources of its scopes."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ScimIdentity(models.Model):
    """What the directory says about a person beyond the account itself. A person without one
    (made by invitation) has their email as userName."""

    # One per person (the constraint below). A foreign key, not a OneToOneField: the reverse
    # of a one-to-one would make django-auditlog read this table on every save of a User,
    # also in the public schema, which has no SCIM tables.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_identities"
    )
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=254, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    # DELETE from the directory: the account is deactivated (never removed: decisions and the
    # audit trail name it) and hidden from SCIM until the directory creates the person again.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="scim_one_identity_per_user"),
            models.UniqueConstraint(Lower("user_name"), name="scim_user_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A group pushed by the directory. Its members get the role its display name maps to."""

    display_name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=254, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="scim_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(Lower("display_name"), name="scim_group_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name


class GroupRoleMapping(models.Model):
    """Set by the tenant administrator: members of the directory group named `group_name`
    (compared without case) hold `role`. Roles no mapping names are left alone by SCIM."""

    group_name = models.CharField(max_length=200)
    role = models.ForeignKey("people.Role", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group_name"]
        constraints = [
            models.UniqueConstraint(Lower("group_name"), name="scim_mapping_group_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.group_name} → {self.role_id}"
