"""SLA pages: the admin board, policies and business calendar; the request-page extension."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_POST

from apps.approvals import selectors as approval_selectors
from apps.approvals.exceptions import ApprovalError, InvalidInput, NotFound
from apps.core.mixins import TenantAdminMixin
from apps.sla import admin_settings, extensions, selectors
from apps.sla.clocks import business_calendar_for, working_calendar
from apps.sla.models import BreachAction, BusinessCalendar, CalendarKind, Closure

if TYPE_CHECKING:
    from apps.accounts.models import User

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BoardView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        board = selectors.board_for(request.user)  # type: ignore[arg-type]
        return render(request, "sla/board.html", {"board": board})


def _numbers(raw: str) -> list[int]:
    return [int(part) for part in raw.replace(" ", "").split(",") if part]


class PoliciesView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request)

    def _render(self, request: HttpRequest, errors: dict[str, Any] | None = None) -> HttpResponse:
        context = {
            "rows": selectors.effective_policies(),
            "calendars": CalendarKind.choices,
            "actions": BreachAction.choices,
            "errors": errors or {},
        }
        return render(request, "sla/policies.html", context, status=400 if errors else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        post = request.POST
        target = {
            "workflow_key": post.get("workflow_key", ""),
            "step_key": post.get("step_key", ""),
            "urgency": post.get("urgency", ""),
        }
        known = {(r.workflow_key, r.step_key, r.urgency) for r in selectors.effective_policies()}
        if tuple(target.values()) not in known:
            messages.error(request, "Choose a workflow step of a published workflow.")
            return self._render(request, {"target": ["Unknown workflow step."]})
        try:
            if post.get("action") == "reset":
                admin_settings.override_delete(actor=user, **target)
                messages.success(request, "The policy is back to the workflow's default.")
            else:
                admin_settings.override_save(
                    actor=user,
                    **target,
                    hours=float(post.get("hours") or 0),
                    calendar=post.get("calendar", ""),
                    reminders=_numbers(post.get("reminders", "")),
                    pause_on_needs_info=post.get("pause_on_needs_info") == "on",
                    escalation_chain=[
                        e.strip() for e in post.get("escalation_chain", "").split(",") if e.strip()
                    ],
                    breach_action=post.get("breach_action", ""),
                    escalation_interval_hours=float(post.get("escalation_interval_hours") or 24),
                    reason=post.get("reason", ""),
                )
                messages.success(request, "Policy saved; new clocks use it.")
        except ValueError:
            messages.error(request, "Hours and reminders must be numbers.")
            return self._render(request, {"hours": ["Numbers only."]})
        except ApprovalError as error:
            messages.error(request, error.message)
            return self._render(request, error.fields)
        return redirect("sla:policies")


class CalendarView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request)

    def _render(self, request: HttpRequest, errors: dict[str, Any] | None = None) -> HttpResponse:
        row = business_calendar_for(None)
        cal = working_calendar(row)
        days = [{"index": i, "name": name, "hours": cal.week[i]} for i, name in enumerate(WEEKDAYS)]
        context = {
            "calendar": row,
            "timezone_name": row.timezone if row else str(cal.tz),
            "country": cal.country,
            "subdivision": cal.subdivision,
            "days": days,
            "closures": Closure.objects.filter(calendar=row) if row else [],
            "errors": errors or {},
            "department_calendars": BusinessCalendar.objects.filter(department__isnull=False),
        }
        return render(request, "sla/calendar.html", context, status=400 if errors else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        post = request.POST
        try:
            if post.get("action") == "closure":
                day = datetime.strptime(post.get("date", ""), "%Y-%m-%d").date()  # noqa: DTZ007
                admin_settings.closure_add(actor=user, date=day, reason=post.get("reason", ""))
                messages.success(request, f"Closed on {day:%Y-%m-%d}.")
            else:
                week = [
                    [post[f"open_{i}"], post[f"close_{i}"]]
                    if post.get(f"open_{i}") and post.get(f"close_{i}")
                    else None
                    for i in range(7)
                ]
                admin_settings.calendar_save(
                    actor=user,
                    timezone_name=post.get("timezone", "").strip(),
                    week=week,
                    country=post.get("country", "").strip(),
                    subdivision=post.get("subdivision", "").strip(),
                )
                messages.success(request, "Business hours saved; new clocks use them.")
        except ValueError:
            messages.error(request, "Give the date as YYYY-MM-DD.")
            return self._render(request, {"date": ["Give the date as YYYY-MM-DD."]})
        except ApprovalError as error:
            messages.error(request, error.message)
            return self._render(request, error.fields)
        return redirect("sla:calendar")


def _parse_due(raw: str, tz_name: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    return moment


@login_required
@require_POST
def request_extend(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        approval = approval_selectors.request_for(user, reference)
    except NotFound as error:
        raise Http404(error.message) from None
    cal = working_calendar(business_calendar_for(approval.department))
    new_due = _parse_due(request.POST.get("new_due_at", ""), str(cal.tz))
    try:
        if new_due is None:
            raise InvalidInput(
                "Give the new due time.", fields={"new_due_at": ["Use the date and time picker."]}
            )
        extensions.request_extend(
            actor=user,
            approval=approval,
            new_due_at=new_due,
            reason=request.POST.get("reason", ""),
            justification=request.POST.get("justification", ""),
        )
    except ApprovalError as error:
        if error.http_status == 403:
            return render(request, "403.html", status=403)
        messages.error(request, error.message)
    else:
        messages.success(request, f"The due time of {reference} was extended.")
    return redirect("approvals:detail", reference=reference)
