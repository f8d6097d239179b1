"""Kinds of notification, how each is delivered, and what an email log row can say."""

from dataclasses import dataclass

from django.db import models


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Email right away"
    DIGEST = "digest", "In the daily digest"
    OFF = "off", "In the app only"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


@dataclass(frozen=True)
class Kind:
    """A preference users set once for a family of notification kinds."""

    key: str
    label: str
    help: str
    mandatory: bool = False


PREFERENCES = (
    Kind("task_assigned", "A task is assigned to me", "Always emailed or digested.", True),
    Kind("queue_task", "A task arrives in one of my queues", "Any queue member may claim it."),
    Kind("reminder", "Reminders about my tasks", "Before a task falls due."),
    Kind("escalated", "A task is escalated to me", "Always emailed or digested.", True),
    Kind("needs_info", "An approver needs more information", "On requests I made."),
    Kind("decided", "A step of my request was decided", "While the request is still open."),
    Kind("request_completed", "My request is finished", "Approved, denied, cancelled."),
    Kind("extension", "A due time is extended", "On requests I made or work on."),
    Kind("breached", "A due time is missed", "On requests I made or work on."),
    Kind(
        "request_exception",
        "A request needs an administrator",
        "Routing could not find an approver. Sent to tenant administrators.",
        True,
    ),
)
PREFERENCE_KEYS = {kind.key: kind for kind in PREFERENCES}

# Notification kinds (as the engine and other apps name them) -> the preference that governs them.
KIND_PREFERENCE = {
    "task_assigned": "task_assigned",
    "queue_task": "queue_task",
    "reminder": "reminder",
    "escalated": "escalated",
    "request_needs_info": "needs_info",
    "needs_info": "needs_info",
    "decided": "decided",
    "request_approved": "request_completed",
    "request_partially_approved": "request_completed",
    "request_denied": "request_completed",
    "request_cancelled": "request_completed",
    "request_withdrawn": "request_completed",
    "payer_pended": "decided",
    "payer_approved": "request_completed",
    "payer_partially_approved": "request_completed",
    "payer_denied": "request_completed",
    "request_completed": "request_completed",
    "extension": "extension",
    "breached": "breached",
    "request_exception": "request_exception",
}
DIGEST_KIND = "daily_digest"


def preference_of(kind: str) -> str:
    return KIND_PREFERENCE.get(kind, kind)


def is_mandatory(kind: str) -> bool:
    preference = PREFERENCE_KEYS.get(preference_of(kind))
    return preference is not None and preference.mandatory
