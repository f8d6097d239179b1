"""The requester's draft in the browser: edit (and submit from the form), submit as it is,
delete. Each POST is one service call; a refusal re-renders the form with its messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.approvals import drafts, selectors, services
from apps.approvals.choices import RequestStatus, Urgency
from apps.approvals.exceptions import ApprovalError, NotFound
from apps.approvals.forms import submission_from_post, widgets_for
from apps.people import selectors as people_selectors
from apps.workflows.selectors import spec_fields

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest


def _own_draft(request: HttpRequest, reference: str) -> ApprovalRequest:
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = selectors.request_for(user, reference)
    except NotFound as error:
        raise Http404(str(error)) from None
    if approval.requester_id != user.pk or approval.status != RequestStatus.DRAFT:
        raise Http404("No draft of yours with that reference.")
    return approval


@login_required
def draft_edit(request: HttpRequest, reference: str) -> HttpResponse:
    approval = _own_draft(request, reference)
    user: User = request.user  # type: ignore[assignment]
    fields = spec_fields(approval.workflow_version)
    values: dict[str, Any] = dict(approval.data)
    errors: dict[str, list[str]] = {}
    urgency = request.POST.get("urgency", approval.urgency)
    department_key = request.POST.get(
        "department", approval.department.key if approval.department else ""
    )
    if request.method == "POST":
        values = submission_from_post(fields, request.POST, request.FILES)
        uploads = {
            spec["name"]: request.FILES[spec["name"]]
            for spec in fields
            if spec["type"] == "file" and spec["name"] in request.FILES
        }
        submit = request.POST.get("action") == "submit"
        try:
            drafts.draft_update(
                actor=user,
                approval=approval,
                data=values,
                urgency=urgency,
                department=people_selectors.department_by_key(department_key),
                uploads=uploads,  # type: ignore[arg-type]  # one file per field name
                submit=submit,
            )
        except ApprovalError as error:
            errors = error.fields
            messages.error(request, error.message)
        else:
            done = "submitted for approval" if submit else "saved as a draft"
            messages.success(request, f"{approval.reference} was {done}.")
            return redirect("approvals:detail", reference=approval.reference)
    context = {
        "workflow": approval.workflow_version.definition,
        "approval": approval,
        "widgets": widgets_for(fields, values, errors),
        "urgencies": Urgency.choices,
        "urgency": urgency,
        "departments": people_selectors.departments(),
        "department_key": department_key,
        "errors": errors,
    }
    return render(request, "approvals/new_form.html", context, status=400 if errors else 200)


@login_required
@require_POST
def draft_submit(request: HttpRequest, reference: str) -> HttpResponse:
    approval = _own_draft(request, reference)
    try:
        services.request_submit(actor=request.user, approval=approval)  # type: ignore[arg-type]
    except ApprovalError as error:
        messages.error(request, error.message)
        return redirect("approvals:draft-edit", reference=reference)
    messages.success(request, f"{reference} was submitted for approval.")
    return redirect("approvals:detail", reference=reference)


@login_required
@require_POST
def draft_delete(request: HttpRequest, reference: str) -> HttpResponse:
    approval = _own_draft(request, reference)
    try:
        drafts.draft_delete(actor=request.user, approval=approval)  # type: ignore[arg-type]
    except ApprovalError as error:
        messages.error(request, error.message)
        return redirect("approvals:detail", reference=reference)
    messages.success(request, f"The draft {reference} was deleted.")
    return redirect("approvals:my-requests")
