"""Tenant URLs plus the webhook admin pages, for tests run before the include lands in
config/urls_tenant.py (the first match wins, so both orders work)."""

from django.urls import include, path

from config.urls_tenant import urlpatterns as tenant_urlpatterns

urlpatterns = [
    path("admin/webhooks/", include("apps.integrations.webhooks.urls")),
    *tenant_urlpatterns,
]
