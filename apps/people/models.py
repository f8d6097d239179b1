"""Who does what in a tenant: roles with authority limits, departments with heads, delegation."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

slug_help = "Lowercase letters, digits and underscores; used in workflow specs."


class Department(models.Model):
    key = models.SlugField(max_length=60, unique=True, help_text=slug_help)
    name = models.CharField(max_length=200)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="departments_headed",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A job function approvers are routed by (``role:<key>`` in specs)."""

    key = models.SlugField(max_length=60, unique=True, help_text=slug_help)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="roles")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuthorityLimit(models.Model):
    """The largest amount a role's members may approve in a workflow category."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="authority_limits")
    category = models.SlugField(max_length=60)
    limit = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["category", "limit"]
        constraints = [
            models.UniqueConstraint(fields=["role", "category"], name="one_limit_per_role"),
            models.CheckConstraint(condition=Q(limit__gte=0), name="limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.role} · {self.category} ≤ {self.limit}"


class Delegation(models.Model):
    """Out of office: the delegate decides the delegator's new tasks for a bounded time."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=F("delegate")), name="no_self_delegation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}"


class DirectoryVersion(models.Model):
    """One row, moved on by database triggers whenever anything the engine routes with changes
    (people, managers, roles and their members, department heads, authority limits,
    delegations): `directory_snapshot` is cached per version (see apps.people.selectors).
    Versions come from one sequence for the whole database, so no two changes, rolled back
    or not, in any tenant, ever share a version."""

    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"directory version {self.version}"
