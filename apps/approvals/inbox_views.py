"""The approver inbox: lists (open, decided by me, watched) with search, sort and filters in the
URL, saved views, the watch toggle and bulk decisions (POST, then redirect to the results)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from apps.approvals import inbox, inbox_services, selectors
from apps.approvals.choices import RequestStatus, Urgency
from apps.approvals.exceptions import ApprovalError, NotFound
from apps.approvals.models import ReasonCode
from apps.core import paging
from apps.core.paging import page_number, page_of
from apps.workflows.selectors import active_workflows

if TYPE_CHECKING:
    from apps.accounts.models import User

BULK_RESULTS_KEY = "inbox_bulk_results"
LIST_LABELS = {
    "all": "Mine and my queues",
    "mine": "Assigned to me",
    "queues": "My queues",
    "decided": "Decided by me",
    "watched": "Watched",
}


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    query = inbox.InboxQuery.from_query(request.GET)
    wanted = page_number(request) * paging.PAGE_SIZE + 1  # this page and one more row
    rows, columns = inbox.inbox_page_rows(user, query, first=wanted)
    page = page_of(request, rows)
    inbox.present(page.items, columns, currency=getattr(request.tenant, "currency", "USD"))  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "tasks": page.items,
        "page": page,
        "filters": query,
        "decidable_list": query.lists_tasks_to_decide,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "approvals/_inbox_rows.html", context)
    context |= {
        "workflows": active_workflows(),
        "urgencies": Urgency.choices,
        "states": [(v, label) for v, label in RequestStatus.choices if v != RequestStatus.DRAFT],
        "sorts": list(inbox.SORTS.items()),
        "lists": list(LIST_LABELS.items()),
        "list_label": LIST_LABELS[query.scope],
        "saved_views": inbox.saved_views_of(user),
        "reason_codes": ReasonCode.objects.filter(is_active=True),
        "current_query": query.as_query(),
    }
    return render(request, "approvals/inbox.html", context)


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    query = inbox.InboxQuery.from_query(request.POST)
    try:
        view = inbox_services.saved_view_save(
            actor=user, name=request.POST.get("view_name", ""), query=query
        )
    except ApprovalError as error:
        messages.error(request, error.message)
        return redirect(reverse("approvals:inbox") + _query_suffix(query.as_query()))
    messages.success(request, f'Saved the view "{view.name}".')
    return redirect(reverse("approvals:inbox") + _query_suffix(view.query))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        view = inbox.saved_view_for(user, view_id)
        inbox_services.saved_view_delete(actor=user, view=view)
    except NotFound as error:
        raise Http404(error.message) from None
    messages.success(request, f'Deleted the view "{view.name}".')
    return redirect("approvals:inbox")


@login_required
@require_POST
def watch_toggle(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = selectors.request_for(user, reference)
    except NotFound as error:
        raise Http404(error.message) from None
    watching = inbox_services.watch_toggle(actor=user, approval=approval)
    messages.success(
        request, f"You watch {reference}." if watching else f"You no longer watch {reference}."
    )
    return redirect("approvals:detail", reference=reference)


@login_required
@require_POST
def bulk_decide(request: HttpRequest) -> HttpResponse:
    """Decide the ticked tasks one by one; the results page (after a redirect) lists each."""
    user: User = request.user  # type: ignore[assignment]
    decision = request.POST.get("decision", "")
    ids = [int(value) for value in request.POST.getlist("task") if value.isdigit()]
    items = [
        inbox_services.BulkItem(
            task_id=task_id,
            decision=decision,
            reason_code=request.POST.get("reason_code") or None,
            comment=request.POST.get("comment", ""),
            # The request as the page showed it: one changed since is refused, not decided.
            version=_version(request.POST.get(f"version-{task_id}", "")),
        )
        for task_id in ids
    ]
    try:
        results = inbox_services.tasks_decide_bulk(actor=user, items=items)
    except ApprovalError as error:
        messages.error(request, error.message)
        return redirect("approvals:inbox")
    request.session[BULK_RESULTS_KEY] = [
        {
            "reference": r.reference or f"Task {r.task_id}",
            "outcome": r.outcome,
            "code": r.code,
            "message": r.message,
        }
        for r in results
    ]
    done = sum(1 for r in results if r.ok)
    if done == len(results):
        messages.success(request, f"Decided {done} of {len(results)} tasks.")
    else:
        messages.warning(
            request, f"Decided {done} of {len(results)} tasks; {len(results) - done} refused."
        )
    return redirect("approvals:inbox-bulk-results")


@login_required
def bulk_results(request: HttpRequest) -> HttpResponse:
    results = request.session.get(BULK_RESULTS_KEY) or []
    return render(request, "approvals/inbox_bulk_results.html", {"results": results})


def _version(text: str) -> datetime | None:
    try:
        return parse_datetime(text) if text else None
    except ValueError:  # well formed but impossible (month 13): no version, as if left out
        return None


def _query_suffix(query: str) -> str:
    return f"?{query}" if query else ""
