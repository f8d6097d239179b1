"""The SCIM 2.0 endpoints under /scim/v2/ on a tenant's host. Thin: authenticate the token of
this tenant, parse the body, call one service, answer in application/scim+json. Every refusal
is RFC 7644's error shape (schemas Error, status, scimType, detail)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.audit.middleware import client_ip
from apps.core.actions import Channel, switch_channel
from apps.core.errors import CountersignError
from apps.core.parsers import MAX_JSON_DEPTH, json_depth
from apps.core.text import unstorable_fields
from apps.scim import resources, schemas
from apps.scim.exceptions import ScimError, ScimErrorCode, invalid, not_found
from apps.scim.filters import GROUP_ATTRIBUTES, USER_ATTRIBUTES, filter_q
from apps.scim.models import ScimToken
from apps.scim.selectors import (
    scim_group,
    scim_groups,
    scim_token_from_text,
    scim_user,
    scim_users,
    token_prefix_of,
)
from apps.scim.services import (
    SCOPE_GROUPS,
    SCOPE_USERS,
    scim_client,
    scim_group_create,
    scim_group_delete,
    scim_group_patch,
    scim_group_update,
    scim_refusal_record,
    scim_token_mark_used,
    scim_user_create,
    scim_user_delete,
    scim_user_patch,
    scim_user_update,
)

JSON_TYPES = ("application/scim+json", "application/json")


def scim_response(data: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(
        json.dumps(data), status=status, content_type=f"{schemas.CONTENT_TYPE}; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    if location:
        response["Location"] = location
    return response


def scim_error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [schemas.ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = scim_response(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}/scim/v2"


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} must be a whole number.") from None


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Bearer token of this tenant's schema (a token of another tenant, an API key, a revoked
    token: 401), its scope for the resource (403), then the handler."""

    scope: str | None = None  # None: discovery documents, any valid token

    token: ScimToken

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        word, _, text = header.partition(" ")
        text = text.strip() if word.lower() == "bearer" else ""
        token = scim_token_from_text(text) if text else None
        if token is None:
            scim_refusal_record(
                reason="invalid_token" if text else "missing_token",
                token_prefix=token_prefix_of(text),
                address=client_ip(request) or "",
            )
            return scim_error(
                401, "Send a SCIM token of this tenant: Authorization: Bearer scim_..."
            )
        if self.scope is not None and not token.has_scope(self.scope):
            scim_refusal_record(
                reason="scope",
                token_prefix=token.prefix,
                address=client_ip(request) or "",
                scope=self.scope,
            )
            return scim_error(403, f"This token has no {self.scope} scope.")
        switch_channel(Channel.SCIM)
        scim_token_mark_used(token=token)
        self.token = token
        try:
            return cast(HttpResponse, super().dispatch(request, *args, **kwargs))
        except ScimError as error:
            return scim_error(error.http_status, error.message, error.scim_type)
        except IntegrityError:  # two directory requests for the same name at the same moment
            return scim_error(409, "This userName, email or group name is taken.", "uniqueness")
        except CountersignError as error:  # a refusal of a service SCIM calls (deactivation)
            status = error.http_status if error.http_status in (403, 404, 409) else 400
            return scim_error(status, error.message, None if status != 400 else "invalidValue")

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return scim_error(405, f"{request.method} is not supported here.")

    def body(self) -> Any:
        content_type = self.request.content_type or ""
        if content_type not in JSON_TYPES:
            raise invalid("Send the body as application/scim+json.", ScimErrorCode.INVALID_SYNTAX)
        try:
            parsed = json.loads(self.request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise invalid(
                f"The body is not valid JSON: {error}", ScimErrorCode.INVALID_SYNTAX
            ) from None
        if json_depth(parsed) > MAX_JSON_DEPTH:
            raise invalid("The JSON body is nested too deeply.", ScimErrorCode.INVALID_SYNTAX)
        problems = unstorable_fields(parsed)
        if problems:
            where, messages = next(iter(problems.items()))
            raise invalid(f"{where}: {messages[0]}")
        return parsed

    @property
    def client(self) -> Any:
        return scim_client(self.token)

    @property
    def base(self) -> str:
        return base_url(self.request)


def list_response(
    request: HttpRequest, items: QuerySet[Any], render: Callable[[Any], dict[str, Any]]
) -> HttpResponse:
    start = max(_int_param(request, "startIndex", 1), 1)
    count = min(max(_int_param(request, "count", schemas.MAX_RESULTS), 0), schemas.MAX_RESULTS)
    total = items.count()
    page = list(items[start - 1 : start - 1 + count]) if count else []
    return scim_response(
        {
            "schemas": [schemas.LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [render(item) for item in page],
        }
    )


def _filtered(request: HttpRequest, items: QuerySet[Any], attributes: Any) -> QuerySet[Any]:
    text = request.GET.get("filter", "").strip()
    if not text:
        return items
    query: Q = filter_q(text, attributes)
    return items.filter(query)


def site_base(request: HttpRequest) -> str:
    """The tenant's address the SCIM call came to, for the invitation link."""
    return f"{request.scheme}://{request.get_host()}"


class UserListView(ScimView):
    scope = SCOPE_USERS

    def get(self, request: HttpRequest) -> HttpResponse:
        users = _filtered(request, scim_users(), USER_ATTRIBUTES)
        return list_response(request, users, lambda user: resources.user_resource(user, self.base))

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = resources.user_fields_from(self.body())
        user = scim_user_create(client=self.client, fields=fields, base_url=site_base(request))
        found = scim_user(str(user.pk))
        assert found is not None
        resource = resources.user_resource(found, self.base)
        return scim_response(resource, 201, resource["meta"]["location"])


class UserDetailView(ScimView):
    scope = SCOPE_USERS

    def _user(self, scim_id: str) -> Any:
        user = scim_user(scim_id)
        if user is None:
            raise not_found(f"There is no user {scim_id}.")
        return user

    def _answer(self, scim_id: str) -> HttpResponse:
        return scim_response(resources.user_resource(self._user(scim_id), self.base))

    def get(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        return self._answer(scim_id)

    def put(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        user = self._user(scim_id)
        fields = resources.user_fields_from(self.body())
        scim_user_update(client=self.client, user=user, fields=fields, base_url=site_base(request))
        return self._answer(scim_id)

    def patch(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        user = self._user(scim_id)
        scim_user_patch(
            client=self.client, user=user, body=self.body(), base_url=site_base(request)
        )
        return self._answer(scim_id)

    def delete(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        scim_user_delete(client=self.client, user=self._user(scim_id))
        return HttpResponse(status=204)


class GroupListView(ScimView):
    scope = SCOPE_GROUPS

    def get(self, request: HttpRequest) -> HttpResponse:
        groups = _filtered(request, scim_groups(), GROUP_ATTRIBUTES)
        members = "members" not in request.GET.get("excludedAttributes", "")
        return list_response(
            request,
            groups,
            lambda group: resources.group_resource(group, self.base, members=members),
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = resources.group_fields_from(self.body())
        group = scim_group_create(client=self.client, fields=fields)
        found = scim_group(str(group.pk))
        assert found is not None
        resource = resources.group_resource(found, self.base)
        return scim_response(resource, 201, resource["meta"]["location"])


class GroupDetailView(ScimView):
    scope = SCOPE_GROUPS

    def _group(self, scim_id: str) -> Any:
        group = scim_group(scim_id)
        if group is None:
            raise not_found(f"There is no group {scim_id}.")
        return group

    def get(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        members = "members" not in request.GET.get("excludedAttributes", "")
        return scim_response(
            resources.group_resource(self._group(scim_id), self.base, members=members)
        )

    def put(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        group = self._group(scim_id)
        scim_group_update(
            client=self.client, group=group, fields=resources.group_fields_from(self.body())
        )
        return scim_response(resources.group_resource(self._group(scim_id), self.base))

    def patch(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        group = self._group(scim_id)
        scim_group_patch(client=self.client, group=group, body=self.body())
        return HttpResponse(status=204)

    def delete(self, request: HttpRequest, scim_id: str) -> HttpResponse:
        scim_group_delete(client=self.client, group=self._group(scim_id))
        return HttpResponse(status=204)


class ServiceProviderConfigView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_response(schemas.service_provider_config(self.base))


def _listed(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [schemas.LIST_RESPONSE],
        "totalResults": len(items),
        "startIndex": 1,
        "itemsPerPage": len(items),
        "Resources": items,
    }


class ResourceTypesView(ScimView):
    def get(self, request: HttpRequest, name: str = "") -> HttpResponse:
        found = schemas.resource_types(self.base)
        if not name:
            return scim_response(_listed(found))
        for item in found:
            if item["id"] == name:
                return scim_response(item)
        raise not_found(f"There is no resource type {name}.")


class SchemasView(ScimView):
    def get(self, request: HttpRequest, schema_id: str = "") -> HttpResponse:
        found = schemas.schemas(self.base)
        if not schema_id:
            return scim_response(_listed(found))
        for item in found:
            if item["id"] == schema_id:
                return scim_response(item)
        raise not_found(f"There is no schema {schema_id}.")


def scim_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return scim_error(404, "There is no such SCIM endpoint.")
