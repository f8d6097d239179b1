"""The public-schema timer index: one row per due time of any tenant, swept by fire_at.

Rows carry ids only (schema name, object kind and id): never patient data.
"""

from django.db import models
from django.db.models import Q


class TimerKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    BREACH = "breach", "Breach"
    ESCALATION = "escalation", "Escalation"


class Timer(models.Model):
    schema_name = models.CharField(max_length=63)
    object_kind = models.CharField(max_length=40, help_text='Handler key, e.g. "sla_clock".')
    object_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    step = models.PositiveIntegerField(
        default=0, help_text="Reminder percentage or escalation level."
    )
    generation = models.PositiveIntegerField(
        default=0, help_text="The object's schedule generation; handlers ignore older ones."
    )
    fire_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fire_at", "id"]
        indexes = [
            # The sweep reads only unfired rows by due time: a partial index keeps it small.
            models.Index(
                fields=["fire_at"], name="timer_due_idx", condition=Q(fired_at__isnull=True)
            ),
            models.Index(fields=["schema_name", "object_kind", "object_id"], name="timer_obj_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_kind}:{self.object_id} at {self.fire_at:%Y-%m-%d %H:%M}"
