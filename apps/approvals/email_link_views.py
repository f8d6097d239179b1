"""The emailed action-link pages of the email-link channel (they work without a session):
GET shows the decision page and changes nothing; only the POST from that page decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.approvals import masking
from apps.approvals.email_links import email_link_decide
from apps.approvals.exceptions import ApprovalError
from apps.approvals.forms import display_rows
from apps.approvals.models import ReasonCode
from apps.approvals.services import DecisionInput
from apps.core.time_zones import zone_named
from apps.notifications.exceptions import (
    LinkNotPending,
    LinkProblem,
    LinkRevoked,
    SignInRequired,
)
from apps.notifications.selectors import action_link_lookup, sign_in_needed
from apps.workflows.selectors import spec_fields

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest
    from apps.notifications.models import ActionToken


def _private(response: HttpResponse) -> HttpResponse:
    """The URL holds a secret: keep it out of caches, referrers and search engines."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = (
        "same-origin"  # "no-referrer" makes browsers send Origin: null, failing CSRF
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# A link that needs sign-in keeps its token in the session, so the sign-in page's `next=` (and
# the browser history, the access logs and the referrer of the login page) carry no secret.
PENDING_LINK_SESSION_KEY = "email_link_pending"


def _problem(request: HttpRequest, problem: LinkProblem, token: str) -> HttpResponse:
    if isinstance(problem, SignInRequired):
        request.session[PENDING_LINK_SESSION_KEY] = token
    context = {
        "problem": problem,
        "login_url": f"{reverse('login')}?next={reverse('approvals:email-link-resume')}",
        "signed_in_as_other": isinstance(problem, SignInRequired) and request.user.is_authenticated,
    }
    return _private(
        render(request, "approvals/email_link/problem.html", context, status=problem.http_status)
    )


def _answers(approval: ApprovalRequest, hidden: set[str], amount_field: str | None) -> list[Any]:
    """The open answers (label and value) a phone needs to decide without signing in: every
    field the workflow marks neither phi nor sensitive, except files and the amount (shown on
    its own). A capital purchase shows its item, vendor and justification; a prior
    authorization none of its patient data."""
    fields = [
        spec
        for spec in spec_fields(approval.workflow_version)
        if spec["name"] not in hidden and spec["name"] != amount_field and spec["type"] != "file"
    ]
    return [row for row in display_rows(fields, approval.data) if row["value"] != ""]


def _attachment_names(approval: ApprovalRequest) -> list[str]:
    """File names only where the workflow holds no patient data (a name can hold one)."""
    if masking.fields_of_class(approval, "phi") or masking.fields_of_class(approval, "sensitive"):
        return []
    return [a.original_name for a in approval.attachments.all()]


def _summary(action: ActionToken) -> dict[str, Any]:
    """The minimum necessary to decide from a phone: the open answers (the page has no
    signed-in viewer: phi and sensitive answers are hidden), the amount when its field is open,
    and the file names of workflows without patient data."""
    task = action.task
    approval = task.request
    amount_field = approval.workflow_version.spec.get("amount_field")
    hidden = masking.hidden_fields(user=None, approval=approval)
    amount_shown = amount_field not in hidden
    return {
        "answers": _answers(approval, hidden, amount_field),
        "attachments": _attachment_names(approval),
        "reference": approval.reference,
        "workflow": approval.workflow_version.definition.name,
        "step": task.step_name,
        "amount": approval.amount if amount_shown else None,
        "due": task.due_at or approval.due_at,
        "urgency": approval.get_urgency_display(),
    }


def _decision_page(
    request: HttpRequest,
    action: ActionToken,
    token: str,
    *,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "action": action,
        "summary": _summary(action),
        "token": token,
        "reason_codes": ReasonCode.objects.filter(is_active=True),
        "errors": errors or {},
        "error_message": error_message,
        "posted": posted or {},
    }
    # The page is the approver's, signed in or not: their time zone, else the organisation's.
    tenant_zone = getattr(getattr(request, "tenant", None), "time_zone", "")
    with timezone.override(zone_named(action.approver.time_zone, tenant_zone)):
        page = render(request, "approvals/email_link/decide.html", context, status=status)
    return _private(page)


def action_link(request: HttpRequest, token: str) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        return _action_link_post(request, token, user)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    try:
        action = action_link_lookup(token)
        if sign_in_needed(action, user):
            raise SignInRequired()
    except LinkProblem as problem:
        return _problem(request, problem, token)
    return _decision_page(request, action, token)


def action_link_resume(request: HttpRequest) -> HttpResponse:
    """Back from sign-in: the link the person opened, from their session (see `_problem`)."""
    token = request.session.get(PENDING_LINK_SESSION_KEY)
    if not isinstance(token, str) or not token:
        return _problem(request, LinkNotPending(), "")
    return action_link(request, token)


def _action_link_post(request: HttpRequest, token: str, user: User | None) -> HttpResponse:
    posted = {
        "decision": request.POST.get("decision", ""),
        "reason_code": request.POST.get("reason_code", ""),
        "comment": request.POST.get("comment", ""),
    }
    try:
        task_id = int(request.POST.get("task", ""))
    except ValueError:
        task_id = -1
    decision = DecisionInput(
        decision=posted["decision"],
        reason_code=posted["reason_code"] or None,
        comment=posted["comment"],
    )
    try:
        recorded = email_link_decide(token=token, task_id=task_id, decision=decision, user=user)
    except LinkProblem as problem:
        return _problem(request, problem, token)
    except ApprovalError as error:
        if error.http_status == 409:
            return _problem(request, LinkRevoked(), token)
        try:
            action = action_link_lookup(token)
        except LinkProblem as problem:
            return _problem(request, problem, token)
        return _decision_page(
            request,
            action,
            token,
            errors=error.fields,
            error_message=error.message,
            posted=posted,
            status=error.http_status,
        )
    approval = recorded.request
    context = {
        "decision": recorded,
        "reference": approval.reference,
        "workflow": approval.workflow_version.definition.name,
        "status": approval.get_status_display(),
    }
    return _private(render(request, "approvals/email_link/done.html", context))
