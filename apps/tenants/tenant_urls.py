"""Pages of the tenants app on a tenant's host: support sign-in and sessions, template updates."""

from django.urls import path

from apps.tenants.tenant_views import (
    SupportEnterView,
    SupportGrantDecideView,
    SupportSessionsView,
    TemplateUpdatesView,
)

app_name = "tenants"
urlpatterns = [
    path("support/enter/<str:token>/", SupportEnterView.as_view(), name="support-enter"),
    path("admin/support-sessions/", SupportSessionsView.as_view(), name="support-sessions"),
    path(
        "admin/support-sessions/<int:pk>/<slug:action>/",
        SupportGrantDecideView.as_view(),
        name="support-grant-decide",
    ),
    path("admin/template-updates/", TemplateUpdatesView.as_view(), name="template-updates"),
]
