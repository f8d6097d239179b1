"""`{{ moment|when }}`: a time as people read it, in their zone and naming it (a builtin)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from apps.core.time_zones import MOMENT_FORMAT, moment_text

register = template.Library()


@register.filter
def when(moment: datetime | date | None, default: str = "") -> str:
    if moment is None or moment == "":
        return default
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            return moment_text(moment)
        return date_format(moment, MOMENT_FORMAT)
    return date_format(moment, "j M Y")
