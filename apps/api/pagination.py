"""Cursor pagination: stable under inserts, opaque `next`/`previous` links."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")


class NameCursorPagination(ApiCursorPagination):
    ordering = ("name", "id")


class OldestFirstPagination(ApiCursorPagination):
    ordering = ("created_at", "id")
