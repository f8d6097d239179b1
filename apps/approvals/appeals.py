"""Appeals of a denial: a request of its own, linked to the one it appeals.

The denied request's workflow names its appeal workflow and window (`appeal` in the spec). The
requester appeals within the window, once; the appeal runs the appeal workflow with its own form,
reviewers and clock, and nobody who decided the denied request works it (segregation of duties,
enforced by the engine). A reviewer may record a peer-to-peer discussion on it. When the appeal
is decided, the denied request's timeline says so and links to it; the CMS-0057-F report counts
prior authorizations approved after appeal from these links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from apps.approvals.choices import RequestStatus
from apps.approvals.exceptions import ApprovalErrorCode, Conflict, InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest, TimelineEntry
from apps.approvals.services import request_create
from apps.core.actions import action
from apps.workflows.models import WorkflowDefinition

if TYPE_CHECKING:
    from apps.accounts.models import User

__all__ = [
    "AppealOption",
    "appeal_option",
    "peer_to_peer_record",
    "request_appeal",
]

APPEALABLE = (RequestStatus.DENIED, RequestStatus.PARTIALLY_APPROVED)
PEER_TO_PEER_MAX = 4000


@dataclass(frozen=True)
class AppealOption:
    """Whether and until when a request may be appealed, and with which workflow."""

    workflow: WorkflowDefinition | None
    deadline: datetime | None
    problem: str | None  # why it cannot be appealed now (None: it can)
    code: str | None = None


def appeal_option(approval: ApprovalRequest, *, now: datetime | None = None) -> AppealOption:
    """What an appeal of `approval` would be, or why there is none (no writes)."""
    spec = approval.workflow_version.spec.get("appeal")
    if not spec:
        return AppealOption(
            None, None, "This workflow has no appeals.", ApprovalErrorCode.NOT_APPEALABLE
        )
    if approval.status not in APPEALABLE:
        return AppealOption(
            None, None, "Only a denial (or a partial approval) can be appealed.",
            ApprovalErrorCode.NOT_APPEALABLE,
        )  # fmt: skip
    decided = approval.completed_at or approval.updated_at
    deadline = decided + timedelta(days=int(spec.get("window_days", 60)))
    workflow = WorkflowDefinition.objects.filter(key=spec["workflow"], is_active=True).first()
    if workflow is None or workflow.current_version_id is None:
        return AppealOption(
            None, deadline,
            f'The appeal workflow "{spec["workflow"]}" is not installed; ask an administrator.',
            ApprovalErrorCode.APPEAL_WORKFLOW_MISSING,
        )  # fmt: skip
    if (now or timezone.now()) > deadline:
        return AppealOption(
            workflow, deadline, "The appeal window has closed.",
            ApprovalErrorCode.APPEAL_WINDOW_CLOSED,
        )  # fmt: skip
    live = approval.appeals.exclude(status__in=(RequestStatus.WITHDRAWN, RequestStatus.CANCELLED))
    if live.exists():
        return AppealOption(
            workflow, deadline, "This decision has already been appealed.",
            ApprovalErrorCode.ALREADY_APPEALED,
        )  # fmt: skip
    return AppealOption(workflow, deadline, None)


def request_appeal(
    *,
    actor: User,
    approval: ApprovalRequest,
    data: Mapping[str, object],
    urgency: str | None = None,
    uploads: Mapping[str, UploadedFile[bytes]] | None = None,
) -> ApprovalRequest:
    """File an appeal of `approval` (its requester only), as a submitted request of the appeal
    workflow. One transaction: the appeal, its first tasks and the note on the denied request."""
    if approval.requester_id != actor.pk:
        raise NotAllowed(
            "Only the requester can appeal this decision.", code=ApprovalErrorCode.NOT_APPEALABLE
        )
    with action(actor=actor):
        locked = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
        option = appeal_option(locked)
        if option.problem is not None or option.workflow is None:
            kind = Conflict if option.code == ApprovalErrorCode.ALREADY_APPEALED else InvalidInput
            raise kind(option.problem or "This request cannot be appealed.", code=option.code)
        appeal = request_create(
            actor=actor,
            workflow=option.workflow,
            data=data,
            urgency=urgency or locked.urgency,
            department=locked.department,
            uploads=uploads,
            appeal_of=locked,
        )
        TimelineEntry.objects.create(
            request=locked,
            actor=actor,
            kind="appealed",
            summary=f"{actor.full_name} appealed the decision: {appeal.reference}.",
        )
    return appeal


def peer_to_peer_record(
    *, actor: User, appeal: ApprovalRequest, held_with: str, held_at: datetime, summary: str
) -> TimelineEntry:
    """A peer-to-peer discussion about an appeal, recorded by one of its reviewers."""
    from apps.approvals.selectors import is_approver_of

    if appeal.appeal_of_id is None:
        raise InvalidInput(
            "Only an appeal has peer-to-peer discussions.", code=ApprovalErrorCode.NOT_AN_APPEAL
        )
    if not is_approver_of(actor, appeal):
        raise NotAllowed("Only a reviewer of this appeal can record a peer-to-peer discussion.")
    errors: dict[str, list[str]] = {}
    held_with, summary = held_with.strip(), summary.strip()
    if not held_with:
        errors["held_with"] = ["Say who the discussion was with."]
    if not summary:
        errors["summary"] = ["Summarise the discussion."]
    elif len(summary) > PEER_TO_PEER_MAX:
        errors["summary"] = [f"At most {PEER_TO_PEER_MAX} characters."]
    if held_at > timezone.now() + timedelta(minutes=5):
        errors["held_at"] = ["A discussion that was held cannot be in the future."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
    with action(actor=actor):
        entry = TimelineEntry.objects.create(
            request=appeal,
            actor=actor,
            kind="peer_to_peer",
            summary=(
                f"Peer-to-peer discussion with {held_with[:120]} on "
                f"{timezone.localtime(held_at):%Y-%m-%d %H:%M %Z}."
            ),
        )
        from apps.approvals.discussion import comment_add

        comment_add(actor=actor, approval=appeal, body=f"Peer-to-peer with {held_with}: {summary}")
    return entry
