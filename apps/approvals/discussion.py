"""Comments and attached files on a request: anyone who can see the request may add them, and
each one leaves a line on the timeline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
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
    head = b""
    for chunk in upload.chunks():
        if len(head) < CONTENT_SNIFF_BYTES:
            head += chunk[: CONTENT_SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    problem = content_problem(head, content_type)
    if problem is not None:
        raise InvalidInput("The file's contents do not match its type.", fields={field: [problem]})
    return CheckedUpload(content_type=content_type, size=upload.size, sha256=digest.hexdigest())


CONTENT_SNIFF_BYTES = 8192
KIND_NAMES = {  # what people call the detected kinds the refusal names most often
    "application/x-msdownload": "a Windows program (.exe)",
    "application/x-executable": "a Linux program (ELF)",
    "application/x-mach-binary": "a macOS program",
    "application/zip": "a ZIP archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/gzip": "a gzip archive",
    "application/x-shockwave-flash": "a Flash file",
    "application/msword": "an old Word document (.doc)",
}


def _kind_name(mime: str, extension: str) -> str:
    return KIND_NAMES.get(mime, f"a {extension.upper()} file ({mime})")


def content_problem(head: bytes, declared: str) -> str | None:
    """Why the first bytes of a file are not the kind it was declared as (by the browser or
    the API client), or None. The bytes decide: a Windows program renamed `.pdf` is refused."""
    detected = filetype.guess(head)
    expected = ALLOWED_ATTACHMENT_TYPES.get(declared, "")
    if declared == "text/plain":
        if detected is not None:
            return f"This file is {_kind_name(detected.mime, detected.extension)}, not plain text."
        if b"\x00" in head:
            return "This file is binary data, not plain text."
        return None
    if detected is None:
        kind = expected.lstrip(".").upper()
        return f"This file is not a {kind} file: its contents are not recognised."
    if detected.mime != declared:
        return (
            f"This file is {_kind_name(detected.mime, detected.extension)}, not a "
            f"{expected.lstrip('.').upper()} file."
        )
    return None


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
