"""Pages of appeals: the requester's appeal form (from a denied request) and a reviewer's
peer-to-peer record on the appeal. Services in apps.approvals.appeals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.approvals import appeals, selectors
from apps.approvals.exceptions import ApprovalError, InvalidInput, NotFound
from apps.approvals.forms import submission_from_post, widgets_for
from apps.workflows.selectors import spec_fields

if TYPE_CHECKING:
    from apps.accounts.models import User


def _request_or_404(user: User, reference: str) -> Any:
    try:
        return selectors.request_for(user, reference)
    except NotFound as error:
        raise Http404(error.message) from None


@login_required
def request_appeal(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the appeal workflow's form; POST: file the appeal (requester only)."""
    user: User = request.user  # type: ignore[assignment]
    approval = _request_or_404(user, reference)
    if approval.requester_id != user.pk:
        messages.error(request, "Only the requester can appeal this decision.")
        return redirect("approvals:detail", reference=reference)
    option = appeals.appeal_option(approval)
    if option.problem is not None or option.workflow is None:
        messages.error(request, option.problem or "This request cannot be appealed.")
        return redirect("approvals:detail", reference=reference)
    version = option.workflow.current_version
    assert version is not None  # appeal_option checked it
    fields = spec_fields(version)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = submission_from_post(fields, request.POST, request.FILES)
        uploads = {
            spec["name"]: request.FILES[spec["name"]]
            for spec in fields
            if spec["type"] == "file" and spec["name"] in request.FILES
        }
        try:
            appeal = appeals.request_appeal(
                actor=user,
                approval=approval,
                data=values,
                uploads=uploads,  # type: ignore[arg-type]  # one file per field name
            )
        except ApprovalError as error:
            errors = error.fields
            messages.error(request, error.message)
            file_fields = {spec["name"] for spec in fields if spec["type"] == "file"}
            values = {k: v for k, v in values.items() if k not in file_fields}
        else:
            messages.success(
                request, f"Your appeal {appeal.reference} of {reference} was submitted for review."
            )
            return redirect("approvals:detail", reference=appeal.reference)
    context = {
        "approval": approval,
        "workflow": option.workflow,
        "deadline": option.deadline,
        "widgets": widgets_for(fields, values, errors),
        "errors": errors,
    }
    return render(request, "approvals/appeal_form.html", context, status=400 if errors else 200)


def _held_at(raw: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
@require_POST
def peer_to_peer(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    appeal = _request_or_404(user, reference)
    held_at = _held_at(request.POST.get("held_at", ""))
    try:
        if held_at is None:
            raise InvalidInput(
                "Give the date and time of the discussion.",
                fields={"held_at": ["Give the date and time of the discussion."]},
            )
        appeals.peer_to_peer_record(
            actor=user,
            appeal=appeal,
            held_with=request.POST.get("held_with", ""),
            held_at=held_at,
            summary=request.POST.get("summary", ""),
        )
    except ApprovalError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The peer-to-peer discussion is recorded.")
    return redirect("approvals:detail", reference=reference)
