"""Pages for requesters and approvers: new request, my requests, inbox, request detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.approvals import (
    discussion,
    grants,
    inbox,
    line_decisions,
    masking,
    selectors,
    services,
    sharing,
    timeline_sentences,
)
from apps.approvals.choices import APPEAL_CATEGORY, RequestStatus, TaskStatus, Urgency
from apps.approvals.exceptions import ApprovalError, InvalidInput, NotFound
from apps.approvals.forms import display_rows, submission_from_post, widgets_for
from apps.approvals.models import (
    ApprovalRequest,
    Attachment,
    BreakGlassGrant,
    ReasonCode,
    Task,
)
from apps.approvals.packet import packet_render
from apps.audit.services import audit_phi_access
from apps.core.links import path_for_each
from apps.core.paging import page_of
from apps.core.text import email_normalise
from apps.core.time_zones import moment_text
from apps.people import selectors as people_selectors
from apps.people.selectors import active_people, colleague_by_email
from apps.workflows.engine import LineDecision, lines_field
from apps.workflows.selectors import published_workflows, spec_fields, spec_of

if TYPE_CHECKING:
    from apps.accounts.models import User


def _not_found(error: NotFound) -> Http404:
    return Http404(error.message)


@login_required
def new_request_choose(request: HttpRequest) -> HttpResponse:
    # Appeals are filed from the denial they appeal (apps.approvals.appeals), not from here.
    workflows = published_workflows().exclude(category=APPEAL_CATEGORY)
    return render(request, "approvals/new_choose.html", {"workflows": workflows})


CREATED_MESSAGES = {
    RequestStatus.DRAFT: "{reference} was saved as a draft.",
    RequestStatus.IN_REVIEW: "{reference} was submitted for approval.",
    RequestStatus.APPROVED: "{reference} was submitted and approved automatically.",
    RequestStatus.EXCEPTION: "{reference} was submitted; an administrator must choose an approver.",
}


def created_message(created: ApprovalRequest) -> str:
    """What the requester is told after creating a request, as a sentence."""
    template = CREATED_MESSAGES.get(
        RequestStatus(created.status), "{reference} was submitted; its status is {status}."
    )
    return template.format(reference=created.reference, status=created.get_status_display().lower())


@login_required
def new_request(request: HttpRequest, key: str) -> HttpResponse:
    workflow = published_workflows().filter(key=key).first()
    if workflow is None or workflow.current_version is None:
        raise Http404("No published workflow with that name.")
    fields = spec_fields(workflow.current_version)
    user: User = request.user  # type: ignore[assignment]
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    urgency = request.POST.get("urgency", Urgency.STANDARD)
    department_key = request.POST.get("department", "")
    if request.method == "POST":
        values = submission_from_post(fields, request.POST, request.FILES)
        department = people_selectors.department_by_key(department_key)
        uploads = {
            spec["name"]: request.FILES[spec["name"]]
            for spec in fields
            if spec["type"] == "file" and spec["name"] in request.FILES
        }
        try:
            created = services.request_create(
                actor=user,
                workflow=workflow,
                data=values,
                urgency=urgency,
                department=department,
                submit=request.POST.get("action") != "draft",
                uploads=uploads,  # type: ignore[arg-type]  # one file per field name
            )
        except ApprovalError as error:
            errors = error.fields
            messages.error(request, error.message)
            # Nothing was stored: no answer may show (and resubmit) a file that is not attached.
            file_fields = {spec["name"] for spec in fields if spec["type"] == "file"}
            values = {name: value for name, value in values.items() if name not in file_fields}
        else:
            messages.success(request, created_message(created))
            return redirect("approvals:detail", reference=created.reference)
    context = {
        "workflow": workflow,
        "widgets": widgets_for(fields, values, errors),
        "urgencies": Urgency.choices,
        "urgency": urgency,
        "departments": people_selectors.departments(),
        "department_key": department_key,
        "errors": errors,
    }
    return render(request, "approvals/new_form.html", context, status=400 if errors else 200)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    page = page_of(request, selectors.requests_made_by_rows(request.user))  # type: ignore[arg-type]
    _add_links_and_times(page.items, time_field="created_at")
    statuses = dict(RequestStatus.choices)
    for row in page.items:
        row["status_label"] = statuses.get(row["status"], row["status"])
    return render(request, "approvals/my_requests.html", {"requests": page.items, "page": page})


def _add_links_and_times(rows: list[dict[str, Any]], *, time_field: str) -> None:
    """Each row's request link, and its `time_field` as `<time_field>_text` (local time, as the
    `|date:"Y-m-d H:i"` it replaces). Made here with one `reverse` for the page, because a
    `{% url %}` and a `|date` in every row were most of the page's CPU (docs/benchmarks.md)."""
    detail_path = path_for_each("approvals:detail")
    for row in rows:
        row["detail_url"] = detail_path(row["reference"])
        moment = row[time_field]
        row[f"{time_field}_text"] = moment_text(moment)


# A refused decision, kept in the session for the one page view after the redirect.
DECISION_REFUSED_KEY = "approvals.decision_refused"
DECISION_FIELDS = ("decision", "reason_code", "comment", "partial")
# The decision form's choice that decides a request with several lines line by line.
LINES_CHOICE = "lines"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _detail_context(
    request: HttpRequest, approval: ApprovalRequest, hidden: set[str] | None = None
) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if hidden is None:
        hidden = masking.hidden_fields(user=user, approval=approval)
    version = approval.workflow_version
    tasks = list(approval.tasks.all())
    role_ids = set(user.roles.values_list("pk", flat=True))
    my_tasks = [
        t
        for t in tasks
        if t.status == TaskStatus.PENDING
        and (t.assignee_id == user.pk or (t.assignee_id is None and t.queue_role_id in role_ids))
    ]
    stages = []
    for index, stage in enumerate(version.spec.get("stages", [])):
        steps = []
        for step in stage.get("steps", []):
            step_tasks = [t for t in tasks if t.step_key == step["key"]]
            steps.append({"name": step.get("name") or step["key"], "tasks": step_tasks})
        stages.append({"index": index, "name": stage.get("name") or stage["key"], "steps": steps})
    return {
        "approval": approval,
        "workflow": version.definition,
        "rows": display_rows(
            spec_fields(version), masking.visible_data(user=user, approval=approval, hidden=hidden)
        ),
        "stages": stages,
        "tasks": tasks,
        "my_tasks": my_tasks,
        "reason_codes": ReasonCode.objects.filter(is_active=True),
        "is_requester": approval.requester_id == user.pk,
        "can_withdraw": approval.requester_id == user.pk and approval.is_open,
        "can_share": approval.requester_id == user.pk or user.is_tenant_admin,
        "needs_info": approval.status == RequestStatus.NEEDS_INFO,
        "is_draft": approval.status == RequestStatus.DRAFT,
        "decision_errors": {},
        "decision_lines": _decision_lines(approval, hidden) if my_tasks else [],
        "line_outcomes": line_decisions.outcomes_for(approval, hidden),
        "watching": inbox.is_watching(user, approval),
        **_appeal_context(user, approval),
    }


def _decision_lines(approval: ApprovalRequest, hidden: set[str]) -> list[dict[str, Any]]:
    """The lines the decision form offers to decide one by one (a request with several)."""
    lines = line_decisions.request_lines(approval)
    if len(lines) < 2:
        return []
    field = lines_field(spec_of(approval.workflow_version))
    return [
        {
            "number": line.number,
            "label": line_decisions.line_label(line, hidden, field),
            "quantity": line.quantity,
        }
        for line in lines
    ]


def _appeal_context(user: User, approval: ApprovalRequest) -> dict[str, Any]:
    """Links between a request and its appeals, and whether its requester may appeal now."""
    from apps.approvals.appeals import APPEALABLE, appeal_option

    context: dict[str, Any] = {
        "appeal_of": approval.appeal_of if approval.appeal_of_id else None,
        # Only a denial (or partial approval) has appeals: no query for every other request.
        "appeals": (list(approval.appeals.order_by("pk")) if approval.status in APPEALABLE else []),
        "appeal": None,
    }
    if approval.requester_id == user.pk and approval.status in APPEALABLE:
        context["appeal"] = appeal_option(approval)
    return context


def _break_glass_candidate(user: User, reference: str) -> ApprovalRequest | None:
    """The request a break-glass role member may open in an emergency (None for everyone else,
    who keep getting a 404 that does not reveal whether the request exists)."""
    if not grants.has_role(user, grants.BREAK_GLASS_ROLE):
        return None
    return ApprovalRequest.objects.filter(reference=reference).first()


@login_required
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = selectors.request_for(user, reference)
    except NotFound as error:
        candidate = _break_glass_candidate(user, reference)
        if candidate is None:
            raise _not_found(error) from None
        context = {"reference": reference, "minutes": grants.BREAK_GLASS_MINUTES, "errors": {}}
        return render(request, "approvals/break_glass.html", context, status=403)
    grant = grants.active_break_glass(user, approval) if not _entitled(user, approval) else None
    detail = {"break_glass": grant.pk} if grant else {}
    hidden = masking.hidden_fields(user=user, approval=approval)
    masking.record_read(
        actor=user, approval=approval, action="request.view", hidden=hidden, **detail
    )
    context = _detail_context(request, approval, hidden)
    context["break_glass"] = grant
    refused = request.session.pop(DECISION_REFUSED_KEY, None)
    mine = cast("list[Task]", context["my_tasks"])
    if isinstance(refused, dict) and any(t.pk == refused.get("task") for t in mine):
        context["decision_errors"] = refused.get("fields") or {}
        posted: dict[str, str] = refused.get("posted") or {}
        context["posted"] = posted
        context["refused_task"] = refused["task"]
        errors = cast("dict[str, list[str]]", context["decision_errors"])
        for index, line in enumerate(cast("list[dict[str, Any]]", context["decision_lines"])):
            line["errors"] = errors.get(f"lines.{index}", [])  # the form posts every line
            prefix = f"line_{line['number']}_"
            line["posted"] = {
                key: posted.get(prefix + key, "")
                for key in ("outcome", "quantity", "reason", "note")
            }
    return render(request, "approvals/detail.html", context)


def _entitled(user: User, approval: ApprovalRequest) -> bool:
    """Cheap check (no query) that the user sees the request without break glass: admins,
    the requester and anyone holding one of its (prefetched) tasks. Others may still be
    entitled by a share or department grant; then the banner shows only if they also hold an
    open break-glass grant."""
    return (
        user.is_tenant_admin
        or approval.requester_id == user.pk
        or any(
            t.assignee_id == user.pk or t.on_behalf_of_id == user.pk for t in approval.tasks.all()
        )
    )


@login_required
@require_POST
def break_glass(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    candidate = _break_glass_candidate(user, reference)
    if candidate is None:
        raise Http404("No request with that reference that you can see.")
    try:
        sharing.break_glass_open(
            actor=user, approval=candidate, reason=request.POST.get("reason", "")
        )
    except ApprovalError as error:
        messages.error(request, error.message)
        context = {
            "reference": reference,
            "minutes": grants.BREAK_GLASS_MINUTES,
            "errors": error.fields,
        }
        return render(request, "approvals/break_glass.html", context, status=400)
    messages.warning(
        request,
        f"Emergency access to {reference} for {grants.BREAK_GLASS_MINUTES} minutes. "
        "It is recorded and the privacy officer is told.",
    )
    return redirect("approvals:detail", reference=reference)


@login_required
def break_glass_review(request: HttpRequest) -> HttpResponse:
    """Privacy officers: unreviewed emergency accesses, each with a "reviewed" action."""
    user: User = request.user  # type: ignore[assignment]
    if not grants.has_role(user, grants.PRIVACY_OFFICER_ROLE):
        return render(request, "403.html", status=403)
    if request.method == "POST":
        grant = BreakGlassGrant.objects.filter(pk=request.POST.get("grant") or 0).first()
        if grant is None:
            messages.error(request, "No such break-glass access.")
        else:
            sharing.break_glass_review(actor=user, grant=grant)
            messages.success(request, f"Break-glass access to {grant.request} marked reviewed.")
        return redirect("approvals:break-glass-review")
    context = {"grants": sharing.break_glass_unreviewed()}
    return render(request, "approvals/break_glass_review.html", context)


@login_required
@require_POST
def request_share(request: HttpRequest, reference: str) -> HttpResponse:
    def share(user: User, approval: ApprovalRequest) -> str:
        email = email_normalise(request.POST.get("email", ""))
        to = colleague_by_email(email, active_only=True)
        if to is None:
            raise InvalidInput("No active colleague with that email.")
        sharing.request_share(actor=user, approval=approval, user=to)
        return f"{reference} is shared with {to.full_name}."

    return _simple_action(request, reference, share)


@login_required
@require_POST
def task_decide(request: HttpRequest, reference: str, task_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        task = selectors.task_for(user, task_id)
        if task.request.reference != reference:
            raise NotFound("No such task on this request.")
        by_line = request.POST.get("decision") == LINES_CHOICE
        decision = services.task_decide(
            actor=user,
            task=task,
            decision=services.DecisionInput(
                decision="" if by_line else request.POST.get("decision", ""),
                reason_code=request.POST.get("reason_code") or None,
                comment=request.POST.get("comment", ""),
                partial=request.POST.get("partial") == "on",
                lines=_posted_lines(request, task.request) if by_line else (),
            ),
        )
    except NotFound as error:
        raise _not_found(error) from None
    except ApprovalError as error:
        # Post, redirect, get: the request page shows the refusal, the field errors and what
        # was typed, once, so reloading it never posts the decision again.
        messages.error(request, error.message)
        request.session[DECISION_REFUSED_KEY] = {
            "task": task_id,
            "code": error.code,
            "fields": error.fields,
            "posted": {
                key: request.POST.get(key, "")
                for key in request.POST
                if key in DECISION_FIELDS or key.startswith("line_")
            },
        }
        url = reverse("approvals:detail", args=[reference]) + f"#task-{task_id}"
        return HttpResponseSeeOther(url)
    words = timeline_sentences.DECISION_WORDS[decision.outcome]
    part = " in part" if decision.partial else ""
    messages.success(request, f"You {words} {reference}{part}.")
    return redirect("approvals:detail", reference=reference)


def _posted_lines(request: HttpRequest, approval: ApprovalRequest) -> tuple[LineDecision, ...]:
    """The per-line controls of the decision form: `line_<n>_outcome`, `_quantity`,
    `_reason` and `_note` for each line of the request."""
    decided = []
    for line in line_decisions.request_lines(approval):
        prefix = f"line_{line.number}_"
        quantity = request.POST.get(prefix + "quantity", "").strip()
        outcome = request.POST.get(prefix + "outcome", "")
        decided.append(
            LineDecision(
                line=line.number,
                outcome=outcome,
                quantity=int(quantity) if quantity.isdigit() and outcome == "reduced" else None,
                reason_code=request.POST.get(prefix + "reason") or None,
                note=request.POST.get(prefix + "note", ""),
            )
        )
    return tuple(decided)


def _simple_action(request: HttpRequest, reference: str, action) -> HttpResponse:  # type: ignore[no-untyped-def]
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = selectors.request_for(user, reference)
        message = action(user, approval)
    except NotFound as error:
        raise _not_found(error) from None
    except ApprovalError as error:
        messages.error(request, error.message + _field_text(error))
    else:
        messages.success(request, message)
    return redirect("approvals:detail", reference=reference)


def _field_text(error: ApprovalError) -> str:
    details = [f"{name}: {' '.join(msgs)}" for name, msgs in error.fields.items()]
    return (" " + "; ".join(details)) if details else ""


@login_required
@require_POST
def task_claim(request: HttpRequest, reference: str, task_id: int) -> HttpResponse:
    def claim(user: User, approval: ApprovalRequest) -> str:
        task = selectors.task_for(user, task_id)
        services.task_claim(actor=user, task=task)
        return f"You claimed {task.step_name}."

    return _simple_action(request, reference, claim)


@login_required
@require_POST
def task_delegate(request: HttpRequest, reference: str, task_id: int) -> HttpResponse:
    def delegate(user: User, approval: ApprovalRequest) -> str:
        task = selectors.task_for(user, task_id)
        to = colleague_by_email(request.POST.get("to", ""))
        if to is None:
            raise NotFound("No colleague with that email.")
        services.task_delegate(actor=user, task=task, to=to)
        return f"{task.step_name} is now with {to.full_name}."

    return _simple_action(request, reference, delegate)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    def withdraw(user: User, approval: ApprovalRequest) -> str:
        services.request_withdraw(actor=user, approval=approval)
        return f"{reference} was withdrawn."

    return _simple_action(request, reference, withdraw)


@login_required
@require_POST
def comment_add(request: HttpRequest, reference: str) -> HttpResponse:
    def comment(user: User, approval: ApprovalRequest) -> str:
        discussion.comment_add(actor=user, approval=approval, body=request.POST.get("body", ""))
        return "Comment added."

    return _simple_action(request, reference, comment)


@login_required
@require_POST
def attachment_add(request: HttpRequest, reference: str) -> HttpResponse:
    def attach(user: User, approval: ApprovalRequest) -> str:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Choose a file to upload.")
        discussion.attachment_add(actor=user, approval=approval, upload=upload)
        return f"{upload.name} attached."

    return _simple_action(request, reference, attach)


@login_required
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    try:
        approval = selectors.request_for(request.user, reference)  # type: ignore[arg-type]
    except NotFound as error:
        raise _not_found(error) from None
    attachment = Attachment.objects.filter(request=approval, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file on this request.")
    audit_phi_access(
        actor=request.user,
        action="attachment.download",
        obj=attachment,
        request_reference=reference,
        sha256=attachment.sha256,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
def request_resubmit(request: HttpRequest, reference: str) -> HttpResponse:
    """The requester answers "needs information": edit the answers and send it back."""
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = selectors.request_for(user, reference)
    except NotFound as error:
        raise _not_found(error) from None
    if approval.requester_id != user.pk:
        # The form holds every answer, PHI included: it is the requester's alone.
        messages.error(request, "Only the requester can answer and resubmit this request.")
        return redirect("approvals:detail", reference=reference)
    fields = spec_fields(approval.workflow_version)
    values: dict[str, Any] = dict(approval.data)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = submission_from_post(fields, request.POST, request.FILES)
        try:
            services.request_resubmit(actor=user, approval=approval, data=values)
        except ApprovalError as error:
            errors = error.fields
            messages.error(request, error.message)
        else:
            messages.success(request, f"{reference} was sent back for review.")
            return redirect("approvals:detail", reference=reference)
    questions = [
        t.decision.comment
        for t in approval.tasks.all()
        if t.status == TaskStatus.INFO_REQUESTED and hasattr(t, "decision")
    ]
    context = {
        "approval": approval,
        "workflow": approval.workflow_version.definition,
        "widgets": widgets_for(fields, values, errors),
        "questions": questions,
        "errors": errors,
    }
    return render(request, "approvals/resubmit.html", context, status=400 if errors else 200)


@login_required
def exception_queue(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_tenant_admin:
        return render(request, "403.html", status=403)
    if request.method == "POST":
        approval = selectors.exception_queue(user).filter(pk=request.POST.get("request")).first()  # type: ignore[misc]  # None matches no row
        assignee = colleague_by_email(request.POST.get("assignee", ""))
        if approval is None or assignee is None:
            messages.error(request, "Choose a request in the queue and an active colleague.")
        else:
            try:
                services.exception_resolve(actor=user, approval=approval, assignee=assignee)
            except ApprovalError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"{approval.reference} was routed to {assignee}.")
        return redirect(reverse("approvals:exceptions"))
    context = {
        "requests": selectors.exception_queue(user),
        "users": active_people(),
    }
    return render(request, "approvals/exceptions.html", context)


@login_required
def packet_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The approval packet PDF (its generation is recorded as an access)."""
    try:
        approval = selectors.request_for(request.user, reference)  # type: ignore[arg-type]
    except NotFound as error:
        raise _not_found(error) from None
    pdf = packet_render(actor=request.user, approval=approval, tenant=request.tenant)  # type: ignore[arg-type,attr-defined]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{reference}-packet.pdf"'
    return response
