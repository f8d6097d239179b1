"""Reads of the approver inbox: open tasks (mine and my queues), tasks I decided, requests I
watch, saved views; with search, sort and filters, and each row's columns as people read them.

Minimum necessary on a list: a row shows only what no reader is ever refused. Its summary is
built from the request's *open* form fields (read in SQL, so phi and sensitive answers are never
even loaded), its amount only when the workflow's amount field is open, and search looks at the
reference, the requester's name and open fields only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.choices import RequestStatus, TaskStatus
from apps.approvals.exceptions import ApprovalErrorCode, InvalidInput, NotFound
from apps.approvals.masking import field_class
from apps.approvals.models import ApprovalRequest, RequestWatch, SavedInboxView, Task
from apps.approvals.selectors import (
    LIST_DEFERRED,
    InboxFilters,
    inbox_for,
    requests_visible_to,
)
from apps.core.links import path_for_each
from apps.core.time_zones import moment_text
from apps.workflows.selectors import version_list_specs

LISTS = ("all", "mine", "queues", "decided", "watched")
SORTS = {
    "due": "Due soonest",
    "-due": "Due latest",
    "age": "Oldest first",
    "-age": "Newest first",
    "-amount": "Largest amount",
    "amount": "Smallest amount",
    "requester": "Requester A-Z",
    "-requester": "Requester Z-A",
}
# The URL parameters of the inbox; a saved view keeps exactly these.
QUERY_PARAMS = ("scope", "workflow", "state", "urgency", "q", "sort")
SUMMARY_TYPES = {"text", "choice"}  # a summary is short: one-line answers only
SEARCH_TYPES = {"text", "choice", "long_text"}
SUMMARY_FIELDS = 2
_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
AT_RISK_SHARE = 0.25  # at risk once less than a quarter of the task's time is left


@dataclass(frozen=True)
class InboxQuery:
    """The inbox as its URL asks for it."""

    scope: str = "all"
    workflow: str | None = None
    state: str | None = None
    urgency: str | None = None
    q: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, query: QueryDict | dict[str, str]) -> InboxQuery:
        scope = query.get("scope") or "all"
        sort = query.get("sort") or ""
        state = query.get("state") or None
        return cls(
            scope=scope if scope in LISTS else "all",
            workflow=query.get("workflow") or None,
            state=state if state in RequestStatus.values else None,
            urgency=query.get("urgency") or None,
            q=(query.get("q") or "").strip()[:100],
            sort=sort if sort in SORTS else "",
        )

    def as_query(self) -> str:
        """The URL query string of this inbox (defaults left out), as a saved view keeps it."""
        query = QueryDict(mutable=True)
        for name in QUERY_PARAMS:
            value = getattr(self, name)
            if value and not (name == "scope" and value == "all"):
                query[name] = value
        return query.urlencode()

    @property
    def is_default_order(self) -> bool:
        return self.sort in ("", "due") and not self.q and not self.state

    @property
    def lists_tasks_to_decide(self) -> bool:
        return self.scope in ("all", "mine", "queues")


# --- what a list may show and search -------------------------------------------------------


@dataclass(frozen=True)
class ListColumns:
    """Per workflow version: its open one-line fields for the summary, its open fields for
    search, and whether its amount is open."""

    summary: dict[int, list[str]]
    searchable: dict[str, list[int]]  # field name -> versions where it is open
    amount_open: set[int]

    @property
    def summary_names(self) -> set[str]:
        return {name for names in self.summary.values() for name in names}


def list_columns() -> ListColumns:
    summary: dict[int, list[str]] = {}
    searchable: dict[str, list[int]] = {}
    amount_open: set[int] = set()
    for version_id, spec in version_list_specs().items():
        open_fields = [
            f
            for f in spec["fields"]
            if field_class(f) == "open" and _SAFE_NAME.match(str(f.get("name", "")))
        ]
        summary[version_id] = [f["name"] for f in open_fields if f.get("type") in SUMMARY_TYPES][
            :SUMMARY_FIELDS
        ]
        for f in open_fields:
            if f.get("type") in SEARCH_TYPES:
                searchable.setdefault(f["name"], []).append(version_id)
        if spec["amount_field"] in {f["name"] for f in open_fields}:
            amount_open.add(version_id)
    return ListColumns(summary=summary, searchable=searchable, amount_open=amount_open)


def _search(q: str, columns: ListColumns, prefix: str) -> Q:
    match = Q(**{f"{prefix}reference__icontains": q}) | Q(
        **{f"{prefix}requester__full_name__icontains": q}
    )
    for name, versions in columns.searchable.items():
        match |= Q(**{f"{prefix}workflow_version_id__in": versions}) & Q(
            **{f"{prefix}data__{name}__icontains": q}
        )
    return match


def _order(sort: str, prefix: str, *, due: str) -> list[Any]:
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    column: Any = {
        "due": F(due),
        "age": F("age_from"),
        "amount": F(f"{prefix}amount"),
        "requester": F(f"{prefix}requester__full_name"),
    }[key]
    first = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return [first, "-id" if descending else "id"]


# --- the rows ----------------------------------------------------------------------------------


def _task_values(tasks: QuerySet[Task], columns: ListColumns) -> QuerySet[Task, Any]:
    summary = {
        f"s_{name}": KeyTextTransform(name, "request__data") for name in columns.summary_names
    }
    return tasks.values(
        "id",
        "step_name",
        "due_at",
        "created_at",
        "status",
        "assignee_id",
        "on_behalf_of_id",
        reference=F("request__reference"),
        urgency=F("request__urgency"),
        request_status=F("request__status"),
        request_updated_at=F("request__updated_at"),
        amount=F("request__amount"),
        version_id=F("request__workflow_version_id"),
        workflow_name=F("request__workflow_version__definition__name"),
        requester_name=F("request__requester__full_name"),
        department_name=F("request__department__name"),
        since=Coalesce("request__submitted_at", "request__created_at"),
        queue_name=F("queue_role__name"),
        on_behalf_of_name=F("on_behalf_of__full_name"),
        outcome=F("decision__outcome"),
        decided_at=F("decision__decided_at"),
        **summary,
    )


def _open_rows(
    user: User, query: InboxQuery, columns: ListColumns, first: int
) -> QuerySet[Task, Any]:
    filters = InboxFilters(workflow=query.workflow, urgency=query.urgency, scope=query.scope)
    if query.is_default_order:
        # The fast path: the head of the inbox read from its partial indexes (`inbox_for`).
        return _task_values(inbox_for(user, filters, first=first), columns)
    tasks = inbox_for(user, filters)
    if query.state:
        tasks = tasks.filter(request__status=query.state)
    if query.q:
        tasks = tasks.filter(_search(query.q, columns, "request__"))
    tasks = tasks.annotate(age_from=Coalesce("request__submitted_at", "request__created_at"))
    return _task_values(
        tasks.order_by(*_order(query.sort or "due", "request__", due="due_at")), columns
    )


def _decided_rows(user: User, query: InboxQuery, columns: ListColumns) -> QuerySet[Task, Any]:
    tasks = Task.objects.filter(decision__actor=user).select_related(
        "request__workflow_version__definition", "request__requester"
    )
    if query.workflow:
        tasks = tasks.filter(request__workflow_version__definition__key=query.workflow)
    if query.urgency:
        tasks = tasks.filter(request__urgency=query.urgency)
    if query.state:
        tasks = tasks.filter(request__status=query.state)
    if query.q:
        tasks = tasks.filter(_search(query.q, columns, "request__"))
    tasks = tasks.annotate(age_from=Coalesce("request__submitted_at", "request__created_at"))
    order = (
        _order(query.sort, "request__", due="due_at")
        if query.sort
        else [F("decision__decided_at").desc(), "-id"]
    )
    return _task_values(tasks.order_by(*order), columns)


def _watched_rows(user: User, query: InboxQuery, columns: ListColumns) -> QuerySet[Any, Any]:
    """Requests the user watches and may still see, as rows shaped like task rows (`id` is
    None: there is no task of theirs to decide)."""
    requests = requests_visible_to(user).filter(watches__user=user)
    if query.workflow:
        requests = requests.filter(workflow_version__definition__key=query.workflow)
    if query.urgency:
        requests = requests.filter(urgency=query.urgency)
    if query.state:
        requests = requests.filter(status=query.state)
    if query.q:
        requests = requests.filter(_search(query.q, columns, ""))
    requests = requests.annotate(age_from=Coalesce("submitted_at", "created_at"))
    order = _order(query.sort, "", due="due_at") if query.sort else ["-watches__created_at", "-id"]
    summary = {f"s_{name}": KeyTextTransform(name, "data") for name in columns.summary_names}
    return (
        requests.defer(*LIST_DEFERRED)
        .order_by(*order)
        .values(
            "reference",
            "urgency",
            "amount",
            "due_at",
            "created_at",
            request_status=F("status"),
            version_id=F("workflow_version_id"),
            workflow_name=F("workflow_version__definition__name"),
            requester_name=F("requester__full_name"),
            department_name=F("department__name"),
            since=Coalesce("submitted_at", "created_at"),
            **summary,
        )
    )


def inbox_page_rows(user: User, query: InboxQuery, *, first: int) -> tuple[Any, ListColumns]:
    """The rows of the list `query` asks for (a lazy queryset of dicts, to be cut into pages;
    `first` is how many rows the page wants, for the indexed fast path), and the columns that
    say what each row may show. A fixed number of queries whatever the number of rows."""
    columns = list_columns()
    if query.scope == "decided":
        return _decided_rows(user, query, columns), columns
    if query.scope == "watched":
        return _watched_rows(user, query, columns), columns
    return _open_rows(user, query, columns, first), columns


# --- how a row reads ---------------------------------------------------------------------------

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def money_text(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    currency = (currency or "USD").upper()
    places = 0 if currency == "JPY" else 2
    number = f"{amount:,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def age_text(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def sla_risk(
    due_at: datetime | None, started_at: datetime | None, now: datetime
) -> tuple[str, str]:
    """(css class, label) of the time left: overdue, at risk (less than a quarter of the time
    given is left), on track; "no clock" without a due time. The label says it in words, so
    colour is never the only sign."""
    if due_at is None:
        return "sla-none", "No clock"
    left = due_at - now
    if left <= timedelta(0):
        return "sla-overdue", "Overdue"
    window = due_at - started_at if started_at else None
    if window and window > timedelta(0) and left < window * AT_RISK_SHARE:
        return "sla-at-risk", "At risk"
    return "sla-ok", "On track"


def present(
    rows: list[dict[str, Any]], columns: ListColumns, *, currency: str, now: datetime | None = None
) -> None:
    """Add what each row shows as text: summary (open fields), amount, age, SLA risk, link."""
    now = now or timezone.now()
    detail_path = path_for_each("approvals:detail")
    statuses = dict(RequestStatus.choices)
    task_statuses = dict(TaskStatus.choices)
    for row in rows:
        version = row["version_id"]
        parts = [str(row.get(f"s_{name}") or "") for name in columns.summary.get(version, [])]
        row["summary"] = " · ".join(part for part in parts if part)
        row["amount_text"] = (
            money_text(row["amount"], currency) if version in columns.amount_open else ""
        )
        row["amount_hidden"] = row["amount"] is not None and version not in columns.amount_open
        row["age_text"] = age_text(row.get("since"), now)
        is_open = row.get("status", TaskStatus.PENDING) == TaskStatus.PENDING and row.get("id")
        if is_open:
            row["sla_class"], row["sla_label"] = sla_risk(row["due_at"], row.get("created_at"), now)
        else:
            row["sla_class"], row["sla_label"] = "sla-none", ""
        row["detail_url"] = detail_path(row["reference"])
        due = row["due_at"]
        row["due_at_text"] = moment_text(due)
        row["status_label"] = statuses.get(row["request_status"], row["request_status"])
        row["task_status_label"] = task_statuses.get(row.get("status") or "", "")
        row["decidable"] = bool(is_open)
        updated = row.get("request_updated_at")
        row["version"] = updated.isoformat() if updated else ""


# --- saved views and watches ---------------------------------------------------------------------


def saved_views_of(user: User) -> list[SavedInboxView]:
    return list(SavedInboxView.objects.filter(owner=user))


def saved_view_for(user: User, view_id: int) -> SavedInboxView:
    view = SavedInboxView.objects.filter(owner=user, pk=view_id).first()
    if view is None:
        raise NotFound("No saved view of yours with that id.")
    return view


def is_watching(user: User, approval: ApprovalRequest) -> bool:
    return RequestWatch.objects.filter(user=user, request=approval).exists()


def validate_view_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(
            "Name the view.", field="name", code=ApprovalErrorCode.VIEW_NAME_REQUIRED
        )
    if len(name) > 80:
        raise InvalidInput(
            "Use at most 80 characters.", field="name", code=ApprovalErrorCode.VIEW_NAME_TOO_LONG
        )
    return name
