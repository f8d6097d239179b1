"""Pages: the notification list and bell, preferences, the admins' failed-email page and
settings, and the emailed action-link pages (which work without a session)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.notifications import selectors, services
from apps.notifications.choices import Delivery
from apps.notifications.demo_mailbox import demo_emails
from apps.notifications.demo_mailbox import mailbox_dir as demo_mailbox_dir
from apps.notifications.forms import NotificationSettingsForm

if TYPE_CHECKING:
    from apps.accounts.models import User


def _admin_only(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_tenant_admin:
        raise PermissionDenied("Only tenant administrators can open this page.")
    return user


# --- in-app notifications -----------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(selectors.notifications_for(user), 50).get_page(request.GET.get("page"))
    context = {"page": page, "unread": selectors.unread_count(user)}
    return render(request, "notifications/list.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications:list")
    return redirect(target)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    if not services.notification_mark_read(actor=request.user, notification_id=notification_id):  # type: ignore[arg-type]
        raise Http404("No such notification.")
    return _back(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return _back(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        choices = {
            key.removeprefix("pref-"): str(value)
            for key, value in request.POST.items()
            if key.startswith("pref-")
        }
        errors = services.preferences_set(actor=user, choices=choices)
        if not errors:
            messages.success(request, "Your notification preferences were saved.")
            return redirect("notifications:preferences")
        messages.error(request, "Some preferences could not be saved.")
    context = {
        "rows": selectors.preferences_for(user),
        "deliveries": Delivery.choices,
        "errors": errors,
    }
    return render(request, "notifications/preferences.html", context, status=400 if errors else 200)


# --- tenant administrators -----------


@login_required
def failed_emails(request: HttpRequest) -> HttpResponse:
    user = _admin_only(request)
    logs = list(selectors.failed_emails(user)[:200])
    return render(request, "notifications/failed.html", {"logs": logs})


@login_required
@require_POST
def failed_email_retry(request: HttpRequest, email_log_id: int) -> HttpResponse:
    user = _admin_only(request)
    log = selectors.failed_emails(user).filter(pk=email_log_id).first()
    if log is None:
        raise Http404("No such failed email.")
    services.email_retry(actor=user, email_log=log)
    messages.success(request, f"The email to {log.to} was queued again.")
    return redirect("notifications:failed")


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = _admin_only(request)
    current = selectors.notification_settings()
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            services.notification_settings_update(actor=user, **form.cleaned_data)
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings")
    else:
        form = NotificationSettingsForm.initial_from(current)
    return render(
        request,
        "notifications/settings.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def demo_mailbox(request: HttpRequest) -> HttpResponse:
    """The demo's emails in the browser (only where DEMO_MAILBOX_DIR is set: `make demo`): a
    person sees the emails sent to them, a tenant admin every email of this tenant."""
    if demo_mailbox_dir() is None:
        raise Http404("The demo mailbox is only in the demo.")
    user = request.user
    schema = str(getattr(request.tenant, "schema_name", ""))  # type: ignore[attr-defined]
    emails = demo_emails(
        schema=schema,
        addressed_to=None if user.is_tenant_admin else user.email,  # type: ignore[union-attr]
    )
    shown = next((e for e in emails if e.id == request.GET.get("email")), None)
    return render(
        request,
        "notifications/demo_mailbox.html",
        {"emails": emails[:200], "shown": shown or (emails[0] if emails else None)},
    )
