"""Workflow definitions and their immutable published versions (running requests keep theirs)."""

from django.conf import settings
from django.db import models


class WorkflowDefinition(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    category = models.SlugField(max_length=60)
    description = models.TextField(blank=True)
    draft_spec = models.JSONField(
        default=dict, blank=True, help_text="Work in progress in the designer; not yet published."
    )
    current_version = models.ForeignKey(
        "WorkflowVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    source_template = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """A published spec. Rows are never updated (a database trigger refuses it)."""

    definition = models.ForeignKey(
        WorkflowDefinition, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.definition.name} v{self.number}"
