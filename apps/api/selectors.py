"""Reads of the API: keys by their text, and requests and tasks by id through the approvals
app's one permission filter (`requests_visible_to`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.api.models import ApiKey
from apps.api.services import KEY_PREFIX, secret_hash
from apps.approvals.exceptions import NotFound
from apps.approvals.models import ApprovalRequest, Attachment, Comment, Task
from apps.approvals.selectors import LIST_DEFERRED, request_for, requests_visible_to


def api_key_from_text(text: str) -> ApiKey | None:
    """The active key `text` names in the current tenant's schema, or None."""
    if not text.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = text[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    key = (
        ApiKey.objects.select_related("owner")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(secret)):
        return None
    if not key.owner.is_active:
        return None
    return key


def api_keys_for(actor: User) -> QuerySet[ApiKey]:
    if not actor.is_tenant_admin:
        return ApiKey.objects.none()
    return ApiKey.objects.select_related("owner")


@dataclass(frozen=True)
class RequestFilters:
    status: str | None = None
    workflow: str | None = None
    urgency: str | None = None
    assignee: int | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def requests_for_api(user: User, filters: RequestFilters) -> QuerySet[ApprovalRequest]:
    requests = (
        requests_visible_to(user)
        .select_related("workflow_version__definition", "requester", "department")
        .defer(*LIST_DEFERRED)
    )
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.workflow:
        requests = requests.filter(workflow_version__definition__key=filters.workflow)
    if filters.urgency:
        requests = requests.filter(urgency=filters.urgency)
    if filters.assignee is not None:
        requests = requests.filter(
            Q(tasks__assignee_id=filters.assignee, tasks__status="pending")
        ).distinct()
    if filters.due_before:
        requests = requests.filter(due_at__lt=filters.due_before)
    if filters.due_after:
        requests = requests.filter(due_at__gte=filters.due_after)
    if filters.created_after:
        requests = requests.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        requests = requests.filter(created_at__lt=filters.created_before)
    return requests


def request_by_id(user: User, request_id: int) -> ApprovalRequest:
    """A request the user may see, with its tasks, decisions and timeline; NotFound otherwise."""
    reference = requests_visible_to(user).filter(pk=request_id).values_list("reference", flat=True)
    found = reference.first()
    if found is None:
        raise NotFound("No request with that id that you can see.")
    return request_for(user, found)


def request_plain(user: User, request_id: int) -> ApprovalRequest:
    """The request row only (for actions, which lock and reload it anyway)."""
    approval = requests_visible_to(user).filter(pk=request_id).first()
    if approval is None:
        raise NotFound("No request with that id that you can see.")
    return approval


def comments_of(user: User, request_id: int) -> QuerySet[Comment]:
    approval = request_plain(user, request_id)
    return Comment.objects.filter(request=approval).select_related("author")


def attachments_of(user: User, request_id: int) -> QuerySet[Attachment]:
    approval = request_plain(user, request_id)
    return Attachment.objects.filter(request=approval).select_related("uploaded_by")


def attachment_for(user: User, request_id: int, attachment_id: int) -> Attachment:
    attachment = attachments_of(user, request_id).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("No such file on this request.")
    return attachment


def task_detail_for(user: User, task_id: int) -> Task:
    task = (
        Task.objects.select_related(
            "request__workflow_version__definition",
            "request__requester",
            "assignee",
            "queue_role",
            "on_behalf_of",
            "decision__reason_code",
            "decision__actor",
        )
        .prefetch_related("decision__lines__reason_code")
        .filter(pk=task_id, request__in=requests_visible_to(user))
        .first()
    )
    if task is None:
        raise NotFound("No such task that you can see.")
    return task
