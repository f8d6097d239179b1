"""Partner console pages on the root host. Every page is scoped to the signed-in partner's own
tenants: another partner's tenant is a 404."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from apps.core.errors import Conflict, CountersignError, InvalidInput, form_errors_show
from apps.core.time_zones import zone_names
from apps.tenants.api_keys import api_keys_of, partner_api_key_create, partner_api_key_revoke
from apps.tenants.branding import contrast_checks, powered_by_line
from apps.tenants.choices import PartnerRole
from apps.tenants.domains import (
    challenge_name,
    challenge_value,
    custom_domain_add,
    custom_domain_remove,
    custom_domain_verify,
    tls_host_allowed,
)
from apps.tenants.exceptions import ProvisioningError
from apps.tenants.forms import (
    ApiKeyForm,
    BrandingForm,
    DomainForm,
    PartnerDefaultsForm,
    SenderDomainForm,
    StatusForm,
    SupportGrantForm,
    TenantWizardForm,
)
from apps.tenants.models import Partner, Tenant, server_time_zone
from apps.tenants.packs import latest_release, packs_for_partner, template_pack_sync
from apps.tenants.selectors import partner_for_user, tenant_primary_host, tenants_visible_to
from apps.tenants.sender_domains import (
    sender_domain_challenge,
    sender_domain_set,
    sender_domain_verify,
)
from apps.tenants.services import (
    BRANDING_TEXT_FIELDS,
    partner_defaults_update,
    tenant_archive,
    tenant_branding_update,
    tenant_export,
    tenant_onboard,
    tenant_reactivate,
    tenant_suspend,
)
from apps.tenants.support import support_entry_token, support_grant_request, support_grant_revoke

if TYPE_CHECKING:
    from apps.accounts.models import User


def _port_suffix(request: HttpRequest) -> str:
    port = request.get_port()
    return "" if port in ("80", "443") else f":{port}"


def tenant_url(request: HttpRequest, tenant: Tenant, path: str = "/") -> str:
    return f"{request.scheme}://{tenant_primary_host(tenant)}{_port_suffix(request)}{path}"


def _form_errors(form: Any, exc: CountersignError) -> None:
    form_errors_show(form, exc)


def _message_of(exc: CountersignError) -> str:
    return " ".join(exc.messages)


class PartnerMixin(LoginRequiredMixin):
    """Partner staff only; ``self.partner`` is theirs and ``tenant()`` finds only their tenants."""

    partner: Partner

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            partner = partner_for_user(request.user)
            if partner is None:
                raise PermissionDenied("Only partner staff can use the console.")
            self.partner = partner
        return super().dispatch(request, *args, **kwargs)

    def tenant(self, slug: str) -> Tenant:
        tenant = tenants_visible_to(self.request.user).filter(slug=slug).first()  # type: ignore[attr-defined]
        if tenant is None:
            raise Http404("No such tenant.")
        return tenant

    @property
    def is_admin(self) -> bool:
        membership = getattr(self.request.user, "partner_membership", None)  # type: ignore[attr-defined]
        return bool(membership and membership.role == PartnerRole.ADMIN)


class PartnerHomeView(LoginRequiredMixin, TemplateView):
    template_name = "tenants/partner_home.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["partner"] = partner_for_user(user)  # type: ignore[arg-type]
        context["tenants"] = [
            {"tenant": tenant, "url": tenant_url(self.request, tenant)}
            for tenant in tenants_visible_to(user).select_related("health")  # type: ignore[arg-type]
        ]
        return context


def _template_choices() -> list[tuple[str, str]]:
    release = template_pack_sync()
    return [(key, spec.get("name", key)) for key, spec in release.templates.items()]


class TenantWizardView(PartnerMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.partner is not None
        initial = {
            "primary_colour": self.partner.default_primary_colour,
            "accent_colour": self.partner.default_accent_colour,
            "email_sender_name": self.partner.default_email_sender_name,
            "support_email": self.partner.default_support_email,
            "time_zone": server_time_zone(),
        }
        form = TenantWizardForm(initial=initial, template_choices=_template_choices())
        return self.show(request, form)

    def show(self, request: HttpRequest, form: TenantWizardForm, status: int = 200) -> HttpResponse:
        from django.conf import settings

        return render(
            request,
            "tenants/wizard.html",
            {
                "form": form,
                "partner": self.partner,
                "platform_domain": settings.PLATFORM_DOMAIN,
                "zones": zone_names(),
                "preview": _preview_context(form.data or form.initial, self.partner),
            },
            status=status,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TenantWizardForm(request.POST, request.FILES, template_choices=_template_choices())
        if not form.is_valid():
            return self.show(request, form, status=400)
        data = form.cleaned_data
        branding = {
            key: data[key]
            for key in BRANDING_TEXT_FIELDS
            if key not in ("display_name",) and data.get(key)
        }
        if data.get("display_name"):
            branding["display_name"] = data["display_name"]
        try:
            tenant, _ = tenant_onboard(
                actor=request.user,
                partner=self.partner,
                slug=data["slug"],
                name=data["name"],
                branding=branding,
                logo=data.get("logo"),
                favicon=data.get("favicon"),
                admin_email=data["admin_email"],
                admin_name=data["admin_name"],
                template_keys=data["templates"],
                scheme=request.scheme or "https",
                port_suffix=_port_suffix(request),
                time_zone=data.get("time_zone", ""),
            )
        except ProvisioningError as exc:
            form.add_error(None, exc.message)
            return self.show(request, form, status=503)
        except (InvalidInput, Conflict) as exc:
            _form_errors(form, exc)
            return self.show(request, form, status=400)
        messages.success(
            request,
            f"{tenant.name} is ready at {tenant_url(request, tenant)}. "
            f"An invitation was emailed to {data['admin_email']}.",
        )
        return redirect("tenant-detail", slug=tenant.slug)


def _preview_context(values: Any, partner: Any) -> dict[str, Any]:
    def get(key: str, default: str = "") -> str:
        value = values.get(key, default) if hasattr(values, "get") else default
        return value or default

    primary = get("primary_colour", "#1d4ed8")
    accent = get("accent_colour", "#0f766e")
    valid = all(len(c) == 7 and c.startswith("#") for c in (primary, accent))
    try:
        checks = contrast_checks(primary_colour=primary, accent_colour=accent) if valid else []
    except ValueError:
        checks, valid = [], False
    return {
        "display_name": get("display_name") or get("name") or "Your organisation",
        "primary_colour": primary if valid else "#1d4ed8",
        "accent_colour": accent if valid else "#0f766e",
        "login_message": get("login_message"),
        "checks": checks,
        "powered_by": powered_by_line(partner),
    }


class BrandingPreviewView(PartnerMixin, View):
    """The live preview (htmx posts the form here on every change)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "tenants/_preview.html",
            {"preview": _preview_context(request.POST, self.partner)},
        )


class TenantDetailView(PartnerMixin, View):
    def get(self, request: HttpRequest, slug: str, **forms: Any) -> HttpResponse:
        tenant = self.tenant(slug)
        brand = tenant.branding
        branding_form = forms.get("branding_form") or BrandingForm(
            initial={key: getattr(brand, key) for key in BRANDING_TEXT_FIELDS}
        )
        now = timezone.now()
        grants = tenant.support_grants.filter(partner=self.partner).select_related("requested_by")
        return render(
            request,
            "tenants/tenant_detail.html",
            {
                "tenant": tenant,
                "url": tenant_url(request, tenant),
                "brand": brand,
                "health": getattr(tenant, "health", None) if hasattr(tenant, "health") else None,
                "is_admin": self.is_admin,
                "branding_form": branding_form,
                "domain_form": forms.get("domain_form") or DomainForm(),
                "sender_form": forms.get("sender_form")
                or SenderDomainForm(initial={"sender_domain": brand.sender_domain}),
                "sender_challenge": sender_domain_challenge(brand) if brand.sender_domain else None,
                "support_form": forms.get("support_form") or SupportGrantForm(),
                "status_form": StatusForm(),
                "preview": _preview_context(
                    branding_form.data
                    or {key: getattr(brand, key) for key in BRANDING_TEXT_FIELDS},
                    self.partner,
                ),
                "custom_domains": [
                    {
                        "domain": d,
                        "challenge_name": challenge_name(d.domain),
                        "challenge_value": challenge_value(d),
                    }
                    for d in tenant.custom_domains.all()
                ],
                "grants": [
                    {
                        "grant": g,
                        "active": g.is_active(now),
                        "mine": g.requested_by_id == request.user.pk,
                    }
                    for g in grants[:20]
                ],
                "installations": tenant.installations.select_related("pack_version__pack"),
            },
            status=400 if forms else 200,
        )


class TenantBrandingView(PartnerMixin, View):
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = self.tenant(slug)
        form = BrandingForm(request.POST, request.FILES)
        if not form.is_valid():
            return TenantDetailView.get(self, request, slug, branding_form=form)  # type: ignore[arg-type]
        values = {key: form.cleaned_data[key] for key in BRANDING_TEXT_FIELDS}
        try:
            brand = tenant_branding_update(
                actor=request.user,
                tenant=tenant,
                values=values,
                logo=form.cleaned_data.get("logo"),
                favicon=form.cleaned_data.get("favicon"),
            )
        except (InvalidInput, Conflict) as exc:
            _form_errors(form, exc)
            return TenantDetailView.get(self, request, slug, branding_form=form)  # type: ignore[arg-type]
        messages.success(request, "Branding saved.")
        for check in contrast_checks(
            primary_colour=brand.primary_colour, accent_colour=brand.accent_colour
        ):
            if not check.passes:
                messages.warning(request, check.message)
        return redirect("tenant-detail", slug=slug)


class TenantStatusView(PartnerMixin, View):
    ACTIONS = {
        "suspend": tenant_suspend,
        "reactivate": tenant_reactivate,
        "archive": tenant_archive,
    }

    def post(self, request: HttpRequest, slug: str, action: str) -> HttpResponse:
        tenant = self.tenant(slug)
        service = self.ACTIONS.get(action)
        if service is None:
            raise Http404
        kwargs: dict[str, Any] = {"actor": request.user, "tenant": tenant}
        if action != "reactivate":
            kwargs["reason"] = request.POST.get("reason", "")
        try:
            service(**kwargs)
        except (InvalidInput, Conflict) as exc:
            messages.error(request, _message_of(exc))
        else:
            messages.success(request, f"{tenant.name}: {tenant.get_status_display().lower()}.")
        return redirect("tenant-detail", slug=slug)


class TenantExportView(PartnerMixin, View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = self.tenant(slug)
        export = tenant_export(actor=request.user, tenant=tenant)
        response = HttpResponse(
            json.dumps(export, indent=2), content_type="application/json; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="{tenant.slug}-export-{stamp}.json"'
        )
        return response


class TenantDomainAddView(PartnerMixin, View):
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = self.tenant(slug)
        form = DomainForm(request.POST)
        if form.is_valid():
            try:
                custom_domain_add(
                    actor=request.user, tenant=tenant, domain=form.cleaned_data["domain"]
                )
            except (InvalidInput, Conflict) as exc:
                _form_errors(form, exc)
        if form.errors:
            return TenantDetailView.get(self, request, slug, domain_form=form)  # type: ignore[arg-type]
        messages.success(request, "Domain added. Publish the TXT record, then verify.")
        return redirect("tenant-detail", slug=slug)


class TenantDomainActionView(PartnerMixin, View):
    def post(self, request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
        tenant = self.tenant(slug)
        custom = tenant.custom_domains.filter(pk=pk).first()
        if custom is None:
            raise Http404
        if action == "verify":
            if custom_domain_verify(actor=request.user, custom=custom):
                messages.success(request, f"{custom.domain} is verified and now routed.")
            else:
                messages.error(request, custom.last_problem)
        elif action == "remove":
            custom_domain_remove(actor=request.user, custom=custom)
            messages.success(request, f"{custom.domain} removed.")
        else:
            raise Http404
        return redirect("tenant-detail", slug=slug)


class TenantSenderDomainView(PartnerMixin, View):
    """Partner admins name the tenant's sender domain (``set``) and check its TXT record
    (``verify``); staff see it on the tenant page but the services refuse them."""

    def post(self, request: HttpRequest, slug: str, action: str) -> HttpResponse:
        tenant = self.tenant(slug)
        if action == "set":
            form = SenderDomainForm(request.POST)
            if form.is_valid():
                try:
                    brand = sender_domain_set(
                        actor=request.user,
                        tenant=tenant,
                        domain=form.cleaned_data["sender_domain"],
                    )
                except InvalidInput as exc:
                    _form_errors(form, exc)
            if form.errors:
                return TenantDetailView.get(self, request, slug, sender_form=form)  # type: ignore[arg-type]
            messages.success(
                request,
                "Sender domain saved. Publish the TXT record, then verify."
                if brand.sender_domain
                else "Emails now come from our address.",
            )
        elif action == "verify":
            brand = sender_domain_verify(actor=request.user, tenant=tenant)
            if brand.sender_domain_verified:
                messages.success(request, f"{brand.sender_domain} is verified; emails use it.")
            else:
                messages.error(
                    request, brand.sender_domain_problem or "Name a sender domain first."
                )
        else:
            raise Http404
        return redirect("tenant-detail", slug=slug)


class SupportGrantView(PartnerMixin, View):
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = self.tenant(slug)
        form = SupportGrantForm(request.POST)
        if form.is_valid():
            try:
                grant = support_grant_request(
                    actor=request.user,
                    tenant=tenant,
                    reason=form.cleaned_data["reason"],
                    duration_minutes=form.cleaned_data["duration_minutes"],
                )
            except (InvalidInput, Conflict) as exc:
                _form_errors(form, exc)
        if form.errors:
            return TenantDetailView.get(self, request, slug, support_form=form)  # type: ignore[arg-type]
        if grant.requires_approval:
            messages.info(
                request, "Support access requested; a tenant administrator must approve it."
            )
        else:
            messages.success(request, f"Support access granted until {grant.expires_at:%H:%M} UTC.")
        return redirect("tenant-detail", slug=slug)


class SupportGrantActionView(PartnerMixin, View):
    def post(self, request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
        tenant = self.tenant(slug)
        grant = tenant.support_grants.filter(pk=pk, partner=self.partner).first()
        if grant is None:
            raise Http404
        if action == "enter":
            try:
                token = support_entry_token(actor=request.user, grant=grant)
            except (InvalidInput, Conflict) as exc:
                messages.error(request, _message_of(exc))
                return redirect("tenant-detail", slug=slug)
            return HttpResponseRedirect(tenant_url(request, tenant, f"/support/enter/{token}/"))
        if action == "end":
            support_grant_revoke(actor=request.user, grant=grant, side="partner")
            messages.success(request, "Support access ended.")
            return redirect("tenant-detail", slug=slug)
        raise Http404


class PartnerSettingsView(PartnerMixin, View):
    def get(self, request: HttpRequest, form: PartnerDefaultsForm | None = None) -> HttpResponse:
        partner = self.partner
        template_pack_sync()
        form = form or PartnerDefaultsForm(
            initial={key: getattr(partner, key) for key in PartnerDefaultsForm.base_fields}
        )
        return render(
            request,
            "partners/settings.html",
            {
                "partner": partner,
                "form": form,
                "is_admin": self.is_admin,
                "keys": api_keys_of(partner),
                "key_form": ApiKeyForm(),
                "new_key": request.session.pop("partner_new_api_key", None),
                "packs": [(p, latest_release(p)) for p in packs_for_partner(partner)],
            },
            status=400 if form.errors else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PartnerDefaultsForm(request.POST)
        if form.is_valid():
            try:
                partner_defaults_update(
                    actor=cast("User", request.user), partner=self.partner, values=form.cleaned_data
                )
            except (InvalidInput, Conflict) as exc:
                _form_errors(form, exc)
        if form.errors:
            return self.get(request, form)
        messages.success(request, "Defaults saved. New tenants start with them.")
        return redirect("partner-settings")


class ApiKeyCreateView(PartnerMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Name the key.")
            return redirect("partner-settings")
        _, raw = partner_api_key_create(
            actor=cast("User", request.user),
            partner=self.partner,
            name=form.cleaned_data["name"],
        )
        request.session["partner_new_api_key"] = raw
        return redirect(reverse("partner-settings") + "#api-keys")


class ApiKeyRevokeView(PartnerMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = api_keys_of(self.partner).filter(pk=pk).first()
        if key is None:
            raise Http404
        partner_api_key_revoke(actor=request.user, key=key)
        messages.success(request, f"Key {key.name} revoked.")
        return redirect("partner-settings")


def tls_ask(request: HttpRequest) -> HttpResponse:
    """For a reverse proxy's on-demand TLS: 200 when we serve ``?domain=``, else 404."""
    if tls_host_allowed(request.GET.get("domain", "")):
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unknown host", status=404, content_type="text/plain")
