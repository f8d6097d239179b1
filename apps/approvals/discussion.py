"""Comments and attached files on a request: anyone who can see the request may add them, and
each one leaves a line on the timeline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from apps.accounts.models import User
from apps.approvals.exceptions import InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest, Attachment, Comment, TimelineEntry
from apps.approvals.selectors import can_view_request
from apps.core.actions import action

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tiff",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def _timeline(approval: ApprovalRequest, actor: User, kind: str, summary: str) -> None:
    TimelineEntry.objects.create(request=approval, actor=actor, kind=kind, summary=summary[:300])


def comment_add(*, actor: User, approval: ApprovalRequest, body: str) -> Comment:
    if not can_view_request(actor, approval):
        raise NotAllowed("You cannot comment on this request.")
    if not body.strip():
        raise InvalidInput("Write a comment first.", fields={"body": ["Required."]})
    with action(actor=actor):
        comment = Comment.objects.create(request=approval, author=actor, body=body.strip())
        _timeline(approval, actor, "comment", f"{actor.full_name} commented.")
    return comment


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int
    sha256: str


def upload_check(upload: UploadedFile[bytes], *, field: str = "file") -> CheckedUpload:
    """Refuse a file that is not accepted (kind, size, empty) before anything is written; the
    message is on `field`."""
    content_type = (upload.content_type or "").split(";")[0].strip()
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput(
            "This kind of file is not accepted.",
            fields={field: ["Upload a PDF, PNG, JPEG, TIFF, plain text or Word (.docx) file."]},
        )
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            "The file is too large.",
            fields={field: [f"Files can be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."]},
        )
    if upload.size == 0:
        raise InvalidInput(
            "The file is empty.",
            fields={field: ["The file is empty."]},
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(content_type=content_type, size=upload.size, sha256=digest.hexdigest())


def attachment_store(
    *, actor: User, approval: ApprovalRequest, upload: UploadedFile[bytes], checked: CheckedUpload
) -> Attachment:
    with action(actor=actor):
        attachment = Attachment.objects.create(
            request=approval,
            uploaded_by=actor,
            file=upload,
            original_name=(upload.name or "file")[:255],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
        _timeline(approval, actor, "attachment", f"{actor.full_name} attached a file.")
    return attachment


def attachment_add(
    *, actor: User, approval: ApprovalRequest, upload: UploadedFile[bytes]
) -> Attachment:
    if not can_view_request(actor, approval):
        raise NotAllowed("You cannot add files to this request.")
    checked = upload_check(upload)
    return attachment_store(actor=actor, approval=approval, upload=upload, checked=checked)
