"""Who am I, and API keys (admin scope; the key's owner must be a tenant admin)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.api.choices import ALL_SCOPES, Scope
from apps.api.idempotency import idempotent
from apps.api.models import ApiKey
from apps.api.selectors import api_keys_for
from apps.api.services import api_key_create, api_key_revoke
from apps.api.v1.base import ApiView, validated
from apps.api.v1.outputs import UserRefOut
from apps.approvals.exceptions import InvalidInput, NotFound
from apps.core.text import email_normalise

TAGS = ["api keys"]


class MeOut(serializers.Serializer[Any]):
    user = UserRefOut()
    is_tenant_admin = serializers.BooleanField()
    scopes = serializers.ListField(child=serializers.CharField())
    key = serializers.CharField(allow_null=True, help_text="The key's prefix, or null (session).")


class MeApi(ApiView):
    @extend_schema(operation_id="me_retrieve", responses=MeOut, tags=["me"])
    def get(self, request: Request) -> Response:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        body = {
            "user": self.actor,
            "is_tenant_admin": self.actor.is_tenant_admin,
            "scopes": key.scopes if key else ALL_SCOPES,
            "key": key.prefix if key else None,
        }
        return Response(MeOut(body).data)


class ApiKeyOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    owner = UserRefOut()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOut(ApiKeyOut):
    key = serializers.CharField(help_text="The full key. Shown once; store it now.")


class ApiKeyListApi(ApiView):
    paginates = True
    read_scope = write_scope = Scope.ADMIN

    class Input(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=Scope.choices), min_length=1, max_length=4
        )
        owner = serializers.EmailField(required=False, help_text="Defaults to you.")

    @extend_schema(operation_id="api_keys_list", responses=ApiKeyOut(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        return self.paginated(request, api_keys_for(self.actor), ApiKeyOut)

    @extend_schema(
        operation_id="api_keys_create",
        request=Input,
        responses={201: ApiKeyCreatedOut},
        examples=[
            OpenApiExample(
                "Read-only",
                value={"name": "Reporting", "scopes": ["requests:read"]},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        owner = None
        if data.get("owner"):
            owner = User.objects.filter(email=email_normalise(data["owner"])).first()
            if owner is None:
                raise InvalidInput("No such person.", fields={"owner": ["Unknown person."]})
        key, text = api_key_create(
            actor=self.actor, name=data["name"], scopes=data["scopes"], owner=owner
        )
        out = ApiKeyOut(key).data | {"key": text}
        return Response(out, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(ApiView):
    read_scope = write_scope = Scope.ADMIN

    @extend_schema(operation_id="api_keys_revoke", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, key_id: int) -> Response:
        key = api_keys_for(self.actor).filter(pk=key_id).first()
        if key is None:
            raise NotFound("No such API key.")
        api_key_revoke(actor=self.actor, key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)
