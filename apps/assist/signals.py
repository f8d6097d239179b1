"""After an attachment is stored (and its transaction committed), extract its page texts in a
Celery task: the approvals app stays unaware of the assist app."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.approvals.models import Attachment


@receiver(post_save, sender=Attachment, dispatch_uid="assist-attachment-extract")
def attachment_stored(
    sender: type[Attachment], instance: Attachment, created: bool, **_: Any
) -> None:
    if not created:
        return
    from apps.assist.tasks import attachment_extract

    pk = instance.pk
    transaction.on_commit(lambda: attachment_extract.delay(pk))
