"""Drafts in the browser: the requester edits a saved draft (and may submit it in the same
action), or deletes it. Submitting a draft as it is stays `services.request_submit`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from apps.accounts.models import User
from apps.approvals import services
from apps.approvals.choices import RequestStatus
from apps.approvals.discussion import attachment_store, upload_check
from apps.approvals.exceptions import Conflict, InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest
from apps.core.actions import action, after_commit
from apps.people.models import Department
from apps.workflows.selectors import spec_of


def _require_own_draft(actor: User, approval: ApprovalRequest) -> None:
    if approval.requester_id != actor.pk:
        raise NotAllowed("Only the requester can change this draft.")
    if approval.status != RequestStatus.DRAFT:
        raise Conflict(
            "This request has been submitted; it is no longer a draft.",
            current={"reference": approval.reference, "status": approval.status},
        )


def draft_update(
    *,
    actor: User,
    approval: ApprovalRequest,
    data: Mapping[str, object],
    urgency: str,
    department: Department | None,
    uploads: Mapping[str, UploadedFile[bytes]] | None = None,
    submit: bool = False,
) -> ApprovalRequest:
    """Save the draft's answers (all checked, as on creation); with `submit`, submit it too,
    in the same transaction."""
    if urgency not in ("standard", "expedited"):
        raise InvalidInput("Choose standard or expedited.", fields={"urgency": ["Choose one."]})
    files = {
        name: (upload, upload_check(upload, field=name)) for name, upload in (uploads or {}).items()
    }
    data = {**data, **{name: f"upload:{upload.name}" for name, upload in (uploads or {}).items()}}
    with action(actor=actor):
        approval = services.request_lock(approval)
        _require_own_draft(actor, approval)
        spec = spec_of(approval.workflow_version)
        cleaned = services.validated(spec, data)
        amount = cleaned.values.get(spec.amount_field) if spec.amount_field else None
        approval.data = cleaned.to_json()
        approval.amount = amount if isinstance(amount, Decimal) else None
        approval.urgency = urgency
        approval.department = department or actor.departments.first()
        approval.save(update_fields=["data", "amount", "urgency", "department"])
        services.timeline_add(approval, actor, "edited", f"{actor.full_name} edited the draft.")
        for upload, checked in files.values():
            attachment_store(actor=actor, approval=approval, upload=upload, checked=checked)
        if submit:
            services.request_submit(actor=actor, approval=approval)
    return approval


def _files_delete(files: list[Any]) -> None:
    for stored in files:
        stored.delete(save=False)


def draft_delete(*, actor: User, approval: ApprovalRequest) -> str:
    """Delete a draft that was never submitted (its files too); returns its reference."""
    with action(actor=actor):
        approval = services.request_lock(approval)
        _require_own_draft(actor, approval)
        reference = approval.reference
        files = [attachment.file for attachment in approval.attachments.all()]
        approval.delete()
        after_commit(lambda: _files_delete(files))  # only once the rows are gone for good
    return reference
