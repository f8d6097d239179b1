"""Stores the page texts of an attachment (run by the `assist.attachment_extract` task)."""

from __future__ import annotations

from django.db import transaction

from apps.approvals.models import Attachment
from apps.assist.models import DocumentPage
from apps.assist.text import pages_of

MAX_BYTES = 25_000_000


def attachment_pages_store(attachment_id: int) -> int:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return 0
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read(MAX_BYTES)
    except (OSError, ValueError):
        return 0
    if DocumentPage.objects.filter(attachment=attachment).exists():
        return DocumentPage.objects.filter(attachment=attachment).count()  # files never change
    pages = pages_of(content, attachment.content_type)
    with transaction.atomic():
        DocumentPage.objects.bulk_create(
            (
                DocumentPage(
                    attachment=attachment, page_number=p.page, text=p.text, method=p.method
                )
                for p in pages
            ),
            ignore_conflicts=True,  # a retried task finds the pages already there
        )
    return len(pages)
