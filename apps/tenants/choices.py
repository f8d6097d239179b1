from django.db import models


class TenantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class PartnerRole(models.TextChoices):
    ADMIN = "admin", "Partner admin"
    STAFF = "staff", "Partner staff"
