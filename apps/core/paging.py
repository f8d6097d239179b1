"""Numbered pages of a long list without counting it: one query fetches a page and one more row,
which says whether a next page exists. Counting a million-row list on every page view costs more
than showing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    has_next: bool
    query: QueryDict  # the request's other parameters (filters), kept on the page links

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def _link(self, number: int) -> str:
        query = self.query.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    @property
    def next_link(self) -> str:
        return self._link(self.number + 1)

    @property
    def previous_link(self) -> str:
        return self._link(self.number - 1)


def page_number(request: HttpRequest) -> int:
    """`?page=`; anything but a positive whole number means the first page."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def page_of(
    request: HttpRequest, rows: Sequence[Any] | QuerySet[Any], *, size: int | None = None
) -> Page:
    """The page of `rows` (a queryset, sliced lazily) that `?page=` asks for (`page_number`)."""
    size = size or PAGE_SIZE
    number = page_number(request)
    start = (number - 1) * size
    fetched = list(rows[start : start + size + 1])
    return Page(
        items=fetched[:size],
        number=number,
        has_next=len(fetched) > size,
        query=request.GET,
    )
