"""URLs of a tenant's host."""

from django.urls import include, path

from apps.accounts.views import TenantLoginView
from apps.core.views import (
    AdminHomeView,
    TenantHomeView,
    healthz,
    metrics,
    readyz,
)
from apps.identity.views import SignOutView
from apps.tenants.tenant_views import branding_favicon, branding_logo

urlpatterns = [
    path("", TenantHomeView.as_view(), name="home"),
    path("login/", TenantLoginView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("branding/logo", branding_logo, name="branding-logo"),
    path("branding/favicon", branding_favicon, name="branding-favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", AdminHomeView.as_view(), name="admin-home"),
    path("", include("apps.approvals.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.sla.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.integrations.urls")),
    path("admin/webhooks/", include("apps.integrations.webhooks.urls")),
    path("admin/payers/", include("apps.integrations.payers.urls")),
    path("", include("apps.api.urls")),
    path("", include("apps.scim.urls")),
    path("", include("apps.insights.urls")),
    path("", include("apps.assist.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.identity.urls")),
    path("", include("apps.tenants.tenant_urls")),
    path("admin/people/reason-codes/", include("apps.approvals.reason_codes.urls")),
    path("admin/people/", include("apps.people.urls")),
    path("admin/workflows/", include("apps.workflows.urls")),
]
