"""Writes of the approver inbox: saved views, watching a request, and deciding many tasks at
once. A bulk decision is a list of single decisions: each goes through `services.task_decide`
on its own (authority, segregation of duties, the one-decision rule and the version check all
apply per task), in its own transaction, and answers for itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.approvals import selectors, services
from apps.approvals.exceptions import ApprovalError, ApprovalErrorCode, InvalidInput, NotFound
from apps.approvals.inbox import InboxQuery, validate_view_name
from apps.approvals.models import ApprovalRequest, RequestWatch, SavedInboxView
from apps.core.actions import Channel

BULK_LIMIT = 100

# --- saved views and watches ---------------------------------------------------------------------


def saved_view_save(*, actor: User, name: str, query: InboxQuery) -> SavedInboxView:
    """Save the inbox's filters, search and sort under a name (saving an existing name of the
    user's replaces what it keeps)."""
    name = validate_view_name(name)
    with transaction.atomic():
        view, _ = SavedInboxView.objects.update_or_create(
            owner=actor, name=name, defaults={"query": query.as_query()[:500]}
        )
    return view


def saved_view_delete(*, actor: User, view: SavedInboxView) -> None:
    if view.owner_id != actor.pk:
        raise NotFound("No saved view of yours with that id.")
    view.delete()


def watch_toggle(*, actor: User, approval: ApprovalRequest) -> bool:
    """Watch the request, or stop watching it; True when the user now watches it. The caller
    has checked that the user may see it."""
    with transaction.atomic():
        deleted, _ = RequestWatch.objects.filter(user=actor, request=approval).delete()
        if deleted:
            return False
        try:
            with transaction.atomic():
                RequestWatch.objects.create(user=actor, request=approval)
        except IntegrityError:  # a second tab was faster: watched either way
            pass
    return True


# --- bulk decisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkItem:
    task_id: int
    decision: str
    reason_code: str | None = None
    comment: str = ""
    version: datetime | None = None  # the request's updated_at the decision was made on


@dataclass(frozen=True)
class BulkResult:
    task_id: int
    decision: str
    reference: str = ""
    ok: bool = False
    code: str = ""
    message: str = ""
    http_status: int = 200
    request_status: str = ""

    @property
    def outcome(self) -> str:
        return "decided" if self.ok else "refused"


def tasks_decide_bulk(
    *, actor: User, items: Sequence[BulkItem], channel: Channel | None = None
) -> list[BulkResult]:
    """Decide each item on its own, in order; one refusal never stops or undoes the others.
    Tasks the actor may not see are refused as not found (their existence is not revealed)."""
    if not items:
        raise InvalidInput("Choose at least one task.", field="items")
    if len(items) > BULK_LIMIT:
        raise InvalidInput(
            f"Decide at most {BULK_LIMIT} tasks at once.",
            field="items",
            code=ApprovalErrorCode.TOO_MANY_ITEMS,
        )
    results = []
    changed_here: set[int] = set()  # requests an earlier item of this batch changed
    for item in items:
        reference = ""
        try:
            task = selectors.task_for(actor, item.task_id)
            reference = task.request.reference
            # The version names the request as the caller saw it before this batch: a second
            # task of a request this batch already decided on is not refused for that change.
            version = None if task.request_id in changed_here else item.version
            decision = services.task_decide(
                actor=actor,
                task=task,
                decision=services.DecisionInput(
                    decision=item.decision,
                    reason_code=item.reason_code or None,
                    comment=item.comment,
                ),
                channel=channel,
                expected_version=version,
            )
        except ApprovalError as error:  # NotFound included: a task the actor may not see
            results.append(_refused(item, reference, error))
        else:
            changed_here.add(task.request_id)
            results.append(
                BulkResult(
                    task_id=item.task_id,
                    decision=item.decision,
                    reference=reference,
                    ok=True,
                    request_status=decision.request.status,
                )
            )
    return results


def _refused(item: BulkItem, reference: str, error: ApprovalError) -> BulkResult:
    details = [f"{name}: {' '.join(msgs)}" for name, msgs in error.fields.items()]
    message = error.message + ((" " + "; ".join(details)) if details else "")
    return BulkResult(
        task_id=item.task_id,
        decision=item.decision,
        reference=reference,
        ok=False,
        code=error.code,
        message=message,
        http_status=error.http_status,
    )
