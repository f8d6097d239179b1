"""Partner API on the root host, ``/api/partner/v1/``: tenants, template packs, health.
Errors are the API's one shape (``apps.api.errors``); other partners' tenants are 404."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.actions import Channel, switch_channel
from apps.core.errors import CountersignError, InvalidInput, NotAllowed, NotFound
from apps.core.parsers import (
    SafeFormParser,
    SafeJSONParser,
    SafeMultiPartParser,
    too_large_message,
)
from apps.tenants.api_keys import PartnerApiKeyAuthentication
from apps.tenants.models import Partner, PartnerApiKey, Tenant, TenantHealth
from apps.tenants.packs import latest_release, packs_for_partner, template_pack_sync
from apps.tenants.selectors import tenant_primary_host, tenants_visible_to
from apps.tenants.services import (
    tenant_branding_update,
    tenant_onboard,
    tenant_reactivate,
    tenant_suspend,
)


def _error(
    code: str, message: str, status_code: int, fields: dict[str, Any] | None = None
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code
    )


def partner_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The partner API's codes, kept stable for partners' integrations: every invalid field is
    "invalid", every refusal "forbidden", every unknown tenant "not_found"; other errors of the
    family keep their own code."""
    too_large = too_large_message(exc)
    if too_large:
        return _error("request_too_large", too_large, 413)
    if isinstance(exc, InvalidInput):
        return _error("invalid", "The request has invalid fields.", 400, exc.fields)
    if isinstance(exc, exceptions.ValidationError):
        return _error("invalid", "The request has invalid fields.", 400, exc.detail)  # type: ignore[arg-type]
    if isinstance(exc, (Http404, exceptions.NotFound, NotFound)):
        return _error("not_found", "No such resource for this partner.", 404)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = _error("not_authenticated", str(exc.detail), 401)
        response["WWW-Authenticate"] = 'Bearer realm="partner-api"'
        return response
    if isinstance(exc, NotAllowed):
        return _error("forbidden", exc.message or "Not allowed.", 403)
    if isinstance(exc, exceptions.PermissionDenied):
        return _error("forbidden", str(exc.detail) or "Not allowed.", 403)
    if isinstance(exc, CountersignError):
        return _error(exc.code, exc.message, exc.http_status, exc.fields)
    if isinstance(exc, exceptions.APIException):
        return _error(exc.default_code, str(exc.detail), exc.status_code)
    return None


class HasPartnerKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return request.auth is not None


class PartnerAPIView(APIView):
    authentication_classes = [PartnerApiKeyAuthentication]
    permission_classes = [HasPartnerKey]
    throttle_classes: list[type] = []
    parser_classes = [SafeJSONParser, SafeFormParser, SafeMultiPartParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        switch_channel(Channel.PARTNER_API)
        super().initial(request, *args, **kwargs)

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return partner_exception_handler

    @property
    def partner(self) -> Partner:
        return cast(PartnerApiKey, self.request.auth).partner

    def tenant(self, slug: str) -> Tenant:
        tenant = tenants_visible_to(cast("User", self.request.user)).filter(slug=slug).first()
        if tenant is None or tenant.partner_id != self.partner.id:
            raise Http404
        return tenant


def tenant_out(tenant: Tenant) -> dict[str, Any]:
    brand = getattr(tenant, "branding", None)
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "status": tenant.status,
        "time_zone": tenant.time_zone,
        "primary_domain": tenant_primary_host(tenant),
        "domains": [d.domain for d in tenant.domains.all()],
        "created_at": tenant.created_at.isoformat(),
        "branding": {
            "display_name": brand.display_name,
            "primary_colour": brand.primary_colour,
            "accent_colour": brand.accent_colour,
            "email_sender_name": brand.email_sender_name,
            "email_reply_to": brand.email_reply_to,
            "support_email": brand.support_email,
            "support_phone": brand.support_phone,
            "login_message": brand.login_message,
        }
        if brand
        else None,
    }


class BrandingIn(serializers.Serializer[Any]):
    display_name = serializers.CharField(required=False, max_length=200)
    primary_colour = serializers.CharField(required=False, max_length=7)
    accent_colour = serializers.CharField(required=False, max_length=7)
    email_sender_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email_reply_to = serializers.EmailField(required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    support_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    login_message = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TenantCreateIn(serializers.Serializer[Any]):
    slug = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    branding = BrandingIn(required=False)
    admin_email = serializers.EmailField(required=False, allow_blank=True)
    admin_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    template_packs = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False
    )
    time_zone = serializers.CharField(required=False, allow_blank=True, max_length=64)


class TenantListApi(PartnerAPIView):
    def get(self, request: Request) -> Response:
        tenants = tenants_visible_to(cast("User", request.user)).filter(partner=self.partner)
        return Response({"results": [tenant_out(t) for t in tenants]})

    def post(self, request: Request) -> Response:
        data = TenantCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tenant, _ = tenant_onboard(
            actor=request.user,
            partner=self.partner,
            slug=values["slug"],
            name=values["name"],
            branding=dict(values.get("branding", {})),
            admin_email=values.get("admin_email", ""),
            admin_name=values.get("admin_name", ""),
            template_keys=values.get("template_packs") or [],
            scheme="http" if settings.DEBUG else "https",
            time_zone=values.get("time_zone", ""),
        )
        tenant = tenants_visible_to(cast("User", request.user)).get(pk=tenant.pk)
        return Response(tenant_out(tenant), status=status.HTTP_201_CREATED)


class TenantDetailApi(PartnerAPIView):
    def get(self, request: Request, slug: str) -> Response:
        return Response(tenant_out(self.tenant(slug)))

    def patch(self, request: Request, slug: str) -> Response:
        tenant = self.tenant(slug)
        data = BrandingIn(data=cast(dict[str, Any], request.data).get("branding", {}), partial=True)
        data.is_valid(raise_exception=True)
        tenant_branding_update(actor=request.user, tenant=tenant, values=dict(data.validated_data))
        return Response(tenant_out(self.tenant(slug)))


class TenantSuspendApi(PartnerAPIView):
    def post(self, request: Request, slug: str) -> Response:
        tenant = tenant_suspend(
            actor=request.user,
            tenant=self.tenant(slug),
            reason=cast(dict[str, Any], request.data).get("reason", ""),
        )
        return Response(tenant_out(tenant))


class TenantReactivateApi(PartnerAPIView):
    def post(self, request: Request, slug: str) -> Response:
        return Response(tenant_out(tenant_reactivate(actor=request.user, tenant=self.tenant(slug))))


class TemplatePackListApi(PartnerAPIView):
    def get(self, request: Request) -> Response:
        template_pack_sync()  # the shipped pack is always offered (idempotent)
        results = []
        for pack in packs_for_partner(self.partner):
            latest = latest_release(pack)
            results.append(
                {
                    "key": pack.key,
                    "name": pack.name,
                    "owner": "platform" if pack.partner_id is None else "partner",
                    "latest_version": latest.version if latest else None,
                    "versions": [v.version for v in pack.versions.all()],
                    "templates": sorted(latest.templates) if latest else [],
                }
            )
        return Response({"results": results})


class HealthApi(PartnerAPIView):
    def get(self, request: Request) -> Response:
        rows = TenantHealth.objects.filter(tenant__partner=self.partner).select_related("tenant")
        return Response(
            {
                "results": [
                    {
                        "tenant": h.tenant.slug,
                        "status": h.tenant.status,
                        "open_requests": h.open_requests,
                        "sla_breaches": h.sla_breaches,
                        "exception_queue": h.exception_queue,
                        "last_activity_at": h.last_activity_at.isoformat()
                        if h.last_activity_at
                        else None,
                        "refreshed_at": h.refreshed_at.isoformat(),
                    }
                    for h in rows.order_by("tenant__name")
                ]
            }
        )
