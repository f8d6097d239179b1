"""Inbound callback endpoint and the tenant admins' ERP reconciliation page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.approvals.exceptions import ApprovalError
from apps.integrations.erp import selectors, services, signing
from apps.integrations.erp.choices import PostingStatus
from apps.integrations.erp.exceptions import IntegrationError
from apps.integrations.erp.models import CallbackSource

if TYPE_CHECKING:
    from apps.accounts.models import User

logger = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 64 * 1024


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt  # authenticated by the HMAC signature, not by a session
@require_POST
def inbound_callback(request: HttpRequest, source: str) -> JsonResponse:
    body = request.body
    if len(body) > MAX_CALLBACK_BYTES:
        return _error("too_large", "The body is larger than 64 KB.", 413)
    try:
        outcome = services.callback_receive(
            source_slug=source,
            body=body,
            signature=request.headers.get(signing.HEADER, ""),
        )
    except IntegrationError as error:
        logger.info("Inbound callback from %s refused: %s", source, error.code)
        return _error(error.code, error.message, error.http_status)
    callback = outcome.callback
    return JsonResponse(
        {
            "status": "duplicate" if outcome.duplicate else "recorded",
            "event_id": callback.event_id,
            "reference": callback.request.reference,
        },
        status=200,
    )


def _admin_only(request: HttpRequest) -> HttpResponse | None:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_tenant_admin:
        return render(request, "403.html", status=403)
    return None


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    refused = _admin_only(request)
    if refused:
        return refused
    user: User = request.user  # type: ignore[assignment]
    status = request.GET.get("status") or None
    if request.method == "POST":
        try:
            services.erp_connection_save(
                actor=user,
                name=request.POST.get("name", "").strip() or "ERP",
                base_url=request.POST.get("base_url", "").strip(),
                auth_header=request.POST.get("auth_header", "").strip() or "Authorization",
                auth_token=request.POST.get("auth_token", ""),
            )
        except (IntegrationError, ApprovalError) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "ERP connection saved.")
        return redirect("integrations:erp-admin")
    context = {
        "postings": selectors.postings_for_admin(user, status=status)[:200],
        "statuses": PostingStatus.choices,
        "status": status,
        "connection": services.active_connection(),
        "sources": CallbackSource.objects.all(),
    }
    return render(request, "integrations/erp/reconciliation.html", context)


def _posting_action(request: HttpRequest, posting_id: int, action) -> HttpResponse:  # type: ignore[no-untyped-def]
    refused = _admin_only(request)
    if refused:
        return refused
    user: User = request.user  # type: ignore[assignment]
    posting = selectors.posting_for_admin(user, posting_id)
    if posting is None:
        return render(request, "404.html", status=404)
    try:
        message = action(user, posting)
    except (IntegrationError, ApprovalError) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("integrations:erp-admin")


@login_required
@require_POST
def posting_reconcile(request: HttpRequest, posting_id: int) -> HttpResponse:
    def reconcile(user: User, posting) -> str:  # type: ignore[no-untyped-def]
        posting = services.posting_reconcile(actor=user, posting=posting)
        return f"{posting.request.reference}: {posting.get_reconciliation_display()}."

    return _posting_action(request, posting_id, reconcile)


@login_required
@require_POST
def posting_retry(request: HttpRequest, posting_id: int) -> HttpResponse:
    def retry(user: User, posting) -> str:  # type: ignore[no-untyped-def]
        services.posting_retry(actor=user, posting=posting)
        return f"{posting.request.reference}: sent again."

    return _posting_action(request, posting_id, retry)
