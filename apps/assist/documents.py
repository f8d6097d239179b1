"""Stores the page texts of an attachment (run by the `assist.attachment_extract` task)."""

from __future__ import annotations

import logging

from apps.approvals.models import Attachment
from apps.assist.models import DocumentPage
from apps.assist.text import pages_of

MAX_BYTES = 25_000_000
logger = logging.getLogger(__name__)


def attachment_pages_store(attachment_id: int) -> int:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return 0
    stored = DocumentPage.objects.filter(attachment=attachment).count()
    if stored:
        return stored  # files never change: a repeated task has nothing to do
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read(MAX_BYTES)
    except (OSError, ValueError):
        logger.warning("assist.attachment_unreadable", extra={"attachment_id": attachment_id})
        return 0
    pages = pages_of(content, attachment.content_type)
    DocumentPage.objects.bulk_create(
        (
            DocumentPage(attachment=attachment, page_number=p.page, text=p.text, method=p.method)
            for p in pages
        ),
        ignore_conflicts=True,  # a retried task finds the pages already there
    )
    return len(pages)
