"""URLs of the root host: the partner console, its API and the TLS ask endpoint."""

from django.urls import include, path

from apps.accounts.urls import mfa_urlpatterns
from apps.accounts.views import PartnerLoginView
from apps.core.views import healthz, metrics, readyz
from apps.identity import partner_views
from apps.identity.views import SignOutView
from apps.tenants import api, views

urlpatterns = [
    path("", views.PartnerHomeView.as_view(), name="home"),
    path("login/", PartnerLoginView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("sso/start/", partner_views.PartnerSsoFindView.as_view(), name="partner-sso-find"),
    path(
        "sso/oidc/callback/",
        partner_views.PartnerSsoCallbackView.as_view(),
        name="partner-sso-callback",
    ),
    path(
        "sso/<slug:slug>/start/",
        partner_views.PartnerSsoStartView.as_view(),
        name="partner-sso-start",
    ),
    path(
        "settings/sso/",
        partner_views.PartnerSsoSettingsView.as_view(),
        name="partner-sso-settings",
    ),
    path("", include((mfa_urlpatterns, "accounts"))),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("tls/ask", views.tls_ask, name="tls-ask"),
    path("tenants/new/", views.TenantWizardView.as_view(), name="tenant-new"),
    path("branding/preview/", views.BrandingPreviewView.as_view(), name="branding-preview"),
    path("settings/", views.PartnerSettingsView.as_view(), name="partner-settings"),
    path("settings/api-keys/", views.ApiKeyCreateView.as_view(), name="api-key-create"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        views.ApiKeyRevokeView.as_view(),
        name="api-key-revoke",
    ),
    path("tenants/<slug:slug>/", views.TenantDetailView.as_view(), name="tenant-detail"),
    path(
        "tenants/<slug:slug>/branding/", views.TenantBrandingView.as_view(), name="tenant-branding"
    ),
    path("tenants/<slug:slug>/export.json", views.TenantExportView.as_view(), name="tenant-export"),
    path(
        "tenants/<slug:slug>/status/<slug:action>/",
        views.TenantStatusView.as_view(),
        name="tenant-status",
    ),
    path(
        "tenants/<slug:slug>/domains/", views.TenantDomainAddView.as_view(), name="tenant-domains"
    ),
    path(
        "tenants/<slug:slug>/domains/<int:pk>/<slug:action>/",
        views.TenantDomainActionView.as_view(),
        name="tenant-domain-action",
    ),
    path(
        "tenants/<slug:slug>/sender-domain/<slug:action>/",
        views.TenantSenderDomainView.as_view(),
        name="tenant-sender-domain",
    ),
    path("tenants/<slug:slug>/support/", views.SupportGrantView.as_view(), name="tenant-support"),
    path(
        "tenants/<slug:slug>/support/<int:pk>/<slug:action>/",
        views.SupportGrantActionView.as_view(),
        name="tenant-support-action",
    ),
    path("api/partner/v1/tenants/", api.TenantListApi.as_view(), name="partner-api-tenants"),
    path(
        "api/partner/v1/tenants/<slug:slug>/",
        api.TenantDetailApi.as_view(),
        name="partner-api-tenant",
    ),
    path(
        "api/partner/v1/tenants/<slug:slug>/suspend/",
        api.TenantSuspendApi.as_view(),
        name="partner-api-tenant-suspend",
    ),
    path(
        "api/partner/v1/tenants/<slug:slug>/reactivate/",
        api.TenantReactivateApi.as_view(),
        name="partner-api-tenant-reactivate",
    ),
    path(
        "api/partner/v1/template-packs/",
        api.TemplatePackListApi.as_view(),
        name="partner-api-packs",
    ),
    path("api/partner/v1/health/", api.HealthApi.as_view(), name="partner-api-health"),
]
