"""The SLA panel on the request detail page and a "time left" filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from apps.sla.selectors import panel_for

register = template.Library()


@register.inclusion_tag("sla/_panel_body.html", takes_context=True)
def sla_request_panel(context: template.Context, approval: Any) -> dict[str, Any]:
    user = context["user"]
    return {
        "approval": approval,
        "panel": panel_for(user, approval),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def time_left(due: datetime | None, now: datetime) -> str:
    """ "3 d 4 h left", "5 h 10 min left" or "2 h overdue"."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    word = "left" if seconds >= 0 else "overdue"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h {word}"
    if hours:
        return f"{hours} h {minutes} min {word}"
    return f"{minutes} min {word}"
