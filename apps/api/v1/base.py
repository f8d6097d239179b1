"""The base class of every API view: key or session authentication, scopes, per-key
throttling and cursor pagination come from REST_FRAMEWORK; this adds list helpers."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.api.choices import Scope
from apps.api.pagination import ApiCursorPagination
from apps.core.actions import Channel, switch_channel

PAGINATION_PARAMS = ("cursor", "page_size")


class ApiView(APIView):
    read_scope = Scope.REQUESTS_READ
    write_scope = Scope.REQUESTS_WRITE
    pagination_class: type[BasePagination] = ApiCursorPagination
    paginates = False  # list endpoints: `cursor` and `page_size` are theirs

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        switch_channel(Channel.API)  # the tenant REST API, by key or by session
        super().initial(request, *args, **kwargs)
        self._refuse_unknown_query(request)

    def _refuse_unknown_query(self, request: Request) -> None:
        """A query parameter the endpoint does not document is refused (a typo such as
        `?stauts=approved` would otherwise silently list everything)."""
        known = set(PAGINATION_PARAMS if self.paginates else ())
        filters = getattr(self, "FilterInput", None)
        if filters is not None:
            known |= field_names(filters)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            accepted = ", ".join(sorted(known)) or "none"
            raise serializers.ValidationError(
                {
                    name: [f"Unknown parameter; this endpoint accepts: {accepted}."]
                    for name in unknown
                }
            )

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def paginated(
        self, request: Request, queryset: QuerySet[Any], output: type[serializers.Serializer[Any]]
    ) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(output(page, many=True).data)


@functools.cache
def field_names(serializer_class: type[serializers.Serializer[Any]]) -> frozenset[str]:
    """A serializer's field names, built once per class (not on every request)."""
    return frozenset(str(name) for name in serializer_class().fields)


def validated_query(
    serializer_class: type[serializers.Serializer[Any]], query: QueryDict
) -> dict[str, Any]:
    """Query filters: `?workflow=` is a mistake, not "no filter", so a blank one is refused."""
    blank = {
        name: ["Give a value or leave the parameter out."]
        for name in field_names(serializer_class)
        if name in query and not (query.get(name) or "").strip()
    }
    if blank:
        raise serializers.ValidationError(blank)
    return validated(serializer_class, query)


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
