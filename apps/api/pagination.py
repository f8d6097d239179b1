"""Cursor pagination: stable under inserts, opaque `next`/`previous` links. A `page_size` that is
not a whole number of at least 1 is refused (400), never silently replaced by the default;
above the maximum it is capped, as the schema says."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def get_page_size(self, request: Request) -> int:
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        try:
            size = int(given.strip())
        except ValueError:
            size = 0
        if size < 1:
            raise serializers.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return min(size, self.max_page_size)


class NameCursorPagination(ApiCursorPagination):
    ordering = ("name", "id")


class OldestFirstPagination(ApiCursorPagination):
    ordering = ("created_at", "id")


class EmailCursorPagination(ApiCursorPagination):
    ordering = ("email", "id")
