"""The audit trail page (filters), with CSV and PDF exports that are themselves audited."""

from __future__ import annotations

import csv
from datetime import date, datetime, tzinfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from apps.audit.models import AuditCategory
from apps.audit.selectors import AuditFilters, audit_entries_for, can_read_audit
from apps.audit.services import audit_append
from apps.audit.wording import action_words
from apps.core.paging import page_of
from apps.core.time_zones import local_iso

EXPORT_LIMIT = 50_000
COLUMNS = (
    "sequence", "at", "category", "action", "actor_email", "object_type", "object_id",
    "object_repr", "request_reference", "ip", "request_id", "support_session", "hash",
    "prev_hash",
)  # fmt: skip


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> tuple[AuditFilters, list[str]]:
    errors = []
    start, end = _date(request.GET.get("start", "")), _date(request.GET.get("end", ""))
    for name, parsed in (("start", start), ("end", end)):
        if request.GET.get(name) and parsed is None:
            errors.append(f"The {name} date must look like 2026-11-23.")
    filters = AuditFilters(
        user=request.GET.get("user", ""),
        request=request.GET.get("request", ""),
        category=request.GET.get("category", ""),
        action=request.GET.get("action", ""),
        start=start,
        end=end,
    )
    return filters, errors


def _record_export(action: str, request: HttpRequest) -> None:
    audit_append(
        category=AuditCategory.PHI_ACCESS,
        action=action,
        object_type="audit.auditentry",
        detail={"filters": request.GET.dict()},
    )


def _refuse() -> HttpResponse:
    return HttpResponse(
        render_to_string("403.html"), status=403, content_type="text/html; charset=utf-8"
    )


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    if not can_read_audit(request.user):  # type: ignore[arg-type]
        return _refuse()
    filters, errors = _filters(request)
    page = page_of(request, audit_entries_for(request.user, filters))  # type: ignore[arg-type]
    return render(
        request,
        "audit/trail.html",
        {
            "rows": [(entry, action_words(entry.action)) for entry in page.items],
            "page": page,
            "filters": filters,
            "errors": errors,
            "categories": AuditCategory.choices,
            "query": request.GET.urlencode(),
        },
    )


def _cell(value: object, zone: tzinfo) -> str:
    """Times in the reader's zone with their offset; the rest as text."""
    if isinstance(value, datetime):
        return local_iso(value, zone)
    return "" if value is None else str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_export_csv(request: HttpRequest) -> HttpResponseBase:
    if not can_read_audit(request.user):  # type: ignore[arg-type]
        return _refuse()
    filters, _ = _filters(request)
    entries = audit_entries_for(request.user, filters)[:EXPORT_LIMIT]  # type: ignore[arg-type]
    _record_export("audit.export_csv", request)
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()  # the rows are written after this view returns
    rows = (
        writer.writerow([_cell(getattr(e, c), zone) for c in COLUMNS]) for e in entries.iterator()
    )
    header = writer.writerow(COLUMNS)
    response = StreamingHttpResponse(
        (line for chunk in ([header], rows) for line in chunk), content_type="text/csv"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@login_required
def audit_export_pdf(request: HttpRequest) -> HttpResponse:
    if not can_read_audit(request.user):  # type: ignore[arg-type]
        return _refuse()
    from weasyprint import HTML

    filters, _ = _filters(request)
    entries = list(audit_entries_for(request.user, filters)[:2000])  # type: ignore[arg-type]
    _record_export("audit.export_pdf", request)
    html = render_to_string(
        "audit/trail_pdf.html",
        {"entries": entries, "filters": filters, "generated_at": timezone.now()},
        request=request,
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="audit.pdf"'
    return response
