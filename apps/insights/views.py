"""Dashboards, CSV downloads, the CMS-0057-F report and the requests/decisions exports."""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from apps.approvals.selectors import requests_visible_to
from apps.audit.services import audit_phi_access
from apps.core.mixins import TenantAdminMixin
from apps.core.time_zones import local_iso
from apps.insights import exports, selectors, snapshots
from apps.insights.charts import bar_chart
from apps.insights.cms import CSV_ROWS, CmsSettings
from apps.insights.datasets import DATASETS
from apps.insights.forms import FilterForm

if TYPE_CHECKING:
    from apps.accounts.models import User


def csv_response(
    filename: str, rows: list[dict[str, Any]], header: list[str] | None = None
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    keys = header or (list(rows[0].keys()) if rows else [])
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_safe_cell(row.get(k)) for k in keys])
    return response


def _preparing(request: HttpRequest) -> HttpResponse:
    """Shown while a worker builds a large tenant's first snapshot of these figures."""
    return render(request, "insights/preparing.html", status=202)


def _not_ready() -> HttpResponse:
    response = HttpResponse(
        "These figures are still being prepared; try again in a minute.\n",
        content_type="text/plain; charset=utf-8",
        status=503,
    )
    response["Retry-After"] = "30"
    return response


def _safe_cell(value: object) -> object:
    """No formula injection when the CSV is opened in a spreadsheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    if isinstance(value, datetime):
        return local_iso(value)
    return "" if value is None else value


class _Dashboard(View):
    scope = "admin"

    def departments(self) -> tuple[int, ...] | None:
        return None

    def get(self, request: HttpRequest) -> HttpResponse:
        departments = self.departments()
        form = FilterForm(request.GET or None, departments=departments)
        filters = form.filters(departments)
        snapshot = snapshots.snapshot_for("dashboard", snapshots.filters_params(filters))
        if snapshot is None:
            return _preparing(request)
        charts = []
        for dataset in DATASETS.values():
            rows = snapshot.figures["datasets"][dataset.name]
            charts.append(
                {
                    "dataset": dataset,
                    "rows": rows,
                    "columns": list(rows[0].keys()) if rows else [],
                    "svg": bar_chart(
                        chart_id=f"chart-{dataset.name}",
                        title=dataset.title,
                        rows=rows,
                        label=dataset.label,
                        value=dataset.value,
                        unit=dataset.unit,
                    ),
                }
            )
        return render(
            request,
            "insights/dashboard.html",
            {
                "form": form,
                "filters": filters,
                "query": filters.as_query(),
                "rates": snapshot.figures["rates"],
                "charts": charts,
                "scope": self.scope,
                "agreement": snapshot.figures["agreement"],
                "snapshot": snapshot,
            },
        )


class DashboardView(TenantAdminMixin, _Dashboard):
    pass


class _ManagerMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Department heads see the dashboards of the departments they head."""

    request: HttpRequest

    def test_func(self) -> bool:
        user = cast("User", self.request.user)
        return user.is_tenant_admin or bool(selectors.manager_departments(user))


class ManagerDashboardView(_ManagerMixin, _Dashboard):
    """Department views: a head sees the departments they head; a tenant administrator all."""

    scope = "departments"

    def departments(self) -> tuple[int, ...] | None:
        user = cast("User", self.request.user)
        if user.is_tenant_admin:
            return None  # every department
        return selectors.manager_departments(user)


class _DatasetCsv(View):
    def departments(self) -> tuple[int, ...] | None:
        return None

    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        dataset = DATASETS.get(name)
        if dataset is None:
            raise Http404("No such chart.")
        departments = self.departments()
        filters = FilterForm(request.GET or None, departments=departments).filters(departments)
        rows = snapshots.chart_rows(name, filters)
        if rows is None:
            return _not_ready()
        return csv_response(f"{name}.csv", rows)


class DatasetCsvView(TenantAdminMixin, _DatasetCsv):
    pass


class ManagerDatasetCsvView(_ManagerMixin, _DatasetCsv):
    def departments(self) -> tuple[int, ...] | None:
        user = cast("User", self.request.user)
        return None if user.is_tenant_admin else selectors.manager_departments(user)


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year - 1
    return year if 2000 <= year <= 2100 else timezone.localdate().year - 1


def _cms_settings(request: HttpRequest) -> CmsSettings:
    return CmsSettings(
        count_partial_as_approved=request.GET.get("count_partial_as_approved") == "1"
    )


class CmsReportView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        year = _year(request)
        snapshot = snapshots.snapshot_for("cms", snapshots.cms_params(year, _cms_settings(request)))
        if snapshot is None:
            return _preparing(request)
        report = snapshot.figures
        rows = [
            {
                "label": label,
                "standard": report["standard"][key],
                "expedited": report["expedited"][key],
            }
            for key, label in CSV_ROWS
        ]
        return render(
            request,
            "insights/cms.html",
            {
                "report": report,
                "rows": rows,
                "year": year,
                "query": request.GET.urlencode(),
                "this_year": timezone.localdate().year,
                "snapshot": snapshot,
            },
        )


class CmsReportCsvView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        year = _year(request)
        snapshot = snapshots.snapshot_for("cms", snapshots.cms_params(year, _cms_settings(request)))
        if snapshot is None:
            return _not_ready()
        report = snapshot.figures
        rows = [
            {
                "metric": label,
                "standard": report["standard"][key],
                "expedited": report["expedited"][key],
            }
            for key, label in CSV_ROWS
        ]
        rows.append(
            {
                "metric": "count_partial_as_approved",
                "standard": report["settings"].count_partial_as_approved,
                "expedited": "",
            }
        )
        for item in report["items"]:
            rows.append(
                {
                    "metric": f"Requires prior authorization: {item['workflow']} — {item['item']}",
                    "standard": item["codes"],
                    "expedited": "",
                }
            )
        return csv_response(f"cms-0057-f-{year}.csv", rows)


class ExportView(TenantAdminMixin, View):
    """Requests or decisions of a date range as CSV; permission-filtered and audited."""

    kind = "requests"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = FilterForm(request.GET or None)
        filters = form.filters()
        reader = cast("User", request.user)
        visible = requests_visible_to(reader)
        answers = self.kind == "requests" and request.GET.get("answers") == "1"
        if answers:
            header, rows = exports.requests_rows_with_answers(
                visible, filters, reader=reader, action="insights.export_requests.answers"
            )
        elif self.kind == "requests":
            header, rows = exports.requests_rows(visible, filters)
        else:
            header, rows = exports.decisions_rows(visible, filters)
        audit_phi_access(
            actor=request.user,
            action=f"insights.export_{self.kind}",
            obj=cast("User", request.user),
            start=str(filters.start or ""),
            end=str(filters.end or ""),
            rows=len(rows),
            answers=answers,
        )
        stamp = date.today().isoformat()  # noqa: DTZ011 - a file name only
        return csv_response(f"{self.kind}-{stamp}.csv", rows, header)
