"""Building branded, PHI-free emails. A message names the tenant, the workflow, the opaque
reference, the step, the due time and links: never a form value, comment or denial text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.core.links import host_url
from apps.core.text import header_clean
from apps.core.time_zones import zone_named
from apps.notifications.choices import DIGEST_KIND
from apps.tenants.routing_cache import primary_host_for
from apps.tenants.senders import email_brand

if TYPE_CHECKING:
    from apps.approvals.models import ApprovalRequest, Task
    from apps.notifications.models import EmailLog, Notification
    from apps.tenants.models import Tenant


@dataclass(frozen=True)
class Wording:
    subject: str
    headline: str
    lead: str


# Placeholders: {reference} {workflow} {step} {queue} {tenant}. All are non-PHI by construction.
WORDING: dict[str, Wording] = {
    "task_assigned": Wording(
        "Approval needed: {workflow} {reference}",
        "Your approval is needed",
        "{reference} ({workflow}) is waiting for your decision at the step “{step}”.",
    ),
    "queue_task": Wording(
        "New in your queue: {workflow} {reference}",
        "A task is waiting in your queue",
        "{reference} ({workflow}) arrived in the {queue} queue at the step “{step}”. "
        "Anyone in the queue can claim it.",
    ),
    "reminder": Wording(
        "Reminder: {reference} is waiting for you",
        "Reminder: a task is waiting for you",
        "{reference} ({workflow}) is still waiting for a decision at the step “{step}”.",
    ),
    "escalated": Wording(
        "Escalated to you: {workflow} {reference}",
        "A task was escalated to you",
        "{reference} ({workflow}) was not decided in time at the step “{step}” and now needs you.",
    ),
    "request_needs_info": Wording(
        "More information needed: {reference}",
        "An approver needs more information",
        "An approver asked for more information on {reference} ({workflow}). "
        "Open the request to see the question and answer it.",
    ),
    "decided": Wording(
        "Update on {reference}",
        "A step of your request was decided",
        "The step “{step}” of {reference} ({workflow}) was decided. Open the request for details.",
    ),
    "request_approved": Wording(
        "Approved: {reference}",
        "Your request was approved",
        "{reference} ({workflow}) was approved.",
    ),
    "request_partially_approved": Wording(
        "Partially approved: {reference}",
        "Your request was partially approved",
        "{reference} ({workflow}) was partially approved. Open the request for details.",
    ),
    "request_denied": Wording(
        "Decision on {reference}",
        "Your request was not approved",
        "{reference} ({workflow}) was denied. Open the request to see the reason.",
    ),
    "payer_pended": Wording(
        "Pended by the payer: {reference}",
        "The payer needs more time",
        "The payer pended the prior authorization {reference} ({workflow}). We follow up with "
        "the payer and tell you when it decides.",
    ),
    "payer_approved": Wording(
        "Approved by the payer: {reference}",
        "The payer approved your request",
        "The payer approved the prior authorization {reference} ({workflow}).",
    ),
    "payer_partially_approved": Wording(
        "Partially approved by the payer: {reference}",
        "The payer approved part of your request",
        "The payer approved part of the prior authorization {reference} ({workflow}). "
        "Open the request to see which items and the payer's reason.",
    ),
    "payer_denied": Wording(
        "Payer decision on {reference}",
        "The payer did not approve your request",
        "The payer denied the prior authorization {reference} ({workflow}). "
        "Open the request to see the payer's reason.",
    ),
    "request_cancelled": Wording(
        "Cancelled: {reference}",
        "Your request was cancelled",
        "{reference} ({workflow}) was cancelled by an administrator.",
    ),
    "request_withdrawn": Wording(
        "Withdrawn: {reference}",
        "A request was withdrawn",
        "{reference} ({workflow}) was withdrawn.",
    ),
    "extension": Wording(
        "Due time extended: {reference}",
        "A due time was extended",
        "The due time of {reference} ({workflow}) was extended.",
    ),
    "breached": Wording(
        "Overdue: {reference}",
        "A due time was missed",
        "{reference} ({workflow}) is past its due time.",
    ),
    "request_exception": Wording(
        "Needs an administrator: {reference}",
        "A request needs an administrator",
        "Routing could not find an approver for {reference} ({workflow}). "
        "Open the exception queue to name one.",
    ),
}
GENERIC = Wording(
    "Update on {reference}", "Update on {reference}", "{reference} ({workflow}) changed."
)


def wording(kind: str) -> Wording:
    return WORDING.get(kind, GENERIC)


def placeholders(approval: ApprovalRequest, task: Task | None) -> dict[str, str]:
    definition = approval.workflow_version.definition
    return {
        "reference": approval.reference,
        "workflow": definition.name,
        "step": task.step_name if task is not None else "",
        "queue": task.queue_role.name if task is not None and task.queue_role else "",
    }


def subject_for(kind: str, approval: ApprovalRequest, task: Task | None) -> str:
    # Names in a subject were typed by admins; a line break in one must not break the header.
    return header_clean(wording(kind).subject.format(**placeholders(approval, task)))[:300]


def title_for(kind: str, approval: ApprovalRequest, task: Task | None) -> str:
    """The in-app line under the bell."""
    return subject_for(kind, approval, task)


# --- branding and links -----------


def current_tenant() -> Tenant:
    return connection.tenant  # type: ignore[attr-defined,no-any-return]


def site_base(tenant: Tenant) -> str:
    """`scheme://host[:port]` of the tenant's primary host (kept per process). SITE_SCHEME /
    SITE_PORT describe how the platform is reached (https and the default port in production)."""

    def load() -> str:
        domain = tenant.get_primary_domain()
        return domain.domain if domain is not None else f"{tenant.slug}.{settings.PLATFORM_DOMAIN}"

    return host_url(primary_host_for(tenant.schema_name, load))


def site_url(tenant: Tenant, path: str, *, base: str | None = None) -> str:
    """An absolute link on the tenant's primary host; pass `base` (from `site_base`) when
    building several links for one message."""
    return f"{base if base is not None else site_base(tenant)}{path}"


def brand_of(tenant: Tenant, *, base: str | None = None) -> dict[str, Any]:
    return email_brand(tenant, base=base if base is not None else site_base(tenant))


# --- messages -----------


def build_message(
    log: EmailLog,
    *,
    action_url: str = "",
    digest: list[Notification] | None = None,
) -> EmailMultiAlternatives:
    tenant = current_tenant()
    base = site_base(tenant)
    brand = brand_of(tenant, base=base)
    context: dict[str, Any] = {
        "brand": brand,
        "subject": log.subject,
        "recipient_name": log.recipient.get_short_name() if log.recipient else "",
        "preferences_url": site_url(tenant, reverse("notifications:preferences"), base=base),
        "action_url": action_url,
    }
    if log.kind == DIGEST_KIND:
        context["items"] = [
            {"title": n.title, "url": site_url(tenant, n.url, base=base) if n.url else ""}
            for n in (digest or [])
        ]
        template = "emails/digest"
    else:
        request, task = log.request, log.task
        words = wording(log.kind)
        values = placeholders(request, task) if request is not None else {}
        due = (task.due_at if task is not None else None) or (request.due_at if request else None)
        context |= {
            "headline": words.headline.format(**values) if values else words.headline,
            "lead": words.lead.format(**values) if values else "",
            "reference": values.get("reference", ""),
            "workflow": values.get("workflow", ""),
            "step": values.get("step", ""),
            "due": due,
            "urgency": request.get_urgency_display() if request else "",
            "open_url": site_url(
                tenant,
                reverse("approvals:exceptions")
                if log.kind == "request_exception"
                else reverse("approvals:detail", args=[request.reference]),
                base=base,
            )
            if request is not None
            else "",
        }
        template = "emails/notification"
    # Times in the email are the recipient's: their zone, else the organisation's.
    with timezone.override(zone_named(getattr(log.recipient, "time_zone", ""), tenant.time_zone)):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=log.subject,
        body=text,
        from_email=brand["from_email"],
        to=[log.to],
        reply_to=[brand["support_email"]] if brand["support_email"] else None,
        connection=get_connection(),
        headers={"Auto-Submitted": "auto-generated", "X-Notification-Kind": log.kind},
    )
    message.attach_alternative(html, "text/html")
    return message


DIGEST_SUBJECT = "{tenant}: your daily digest ({count} updates)"
