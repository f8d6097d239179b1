"""Tenant-admin webhook pages; config/urls_tenant.py includes them under /admin/webhooks/."""

from django.urls import path

from apps.integrations import admin_views as views

app_name = "webhooks"
urlpatterns = [
    path("", views.EndpointListView.as_view(), name="list"),
    path("<int:pk>/", views.EndpointDetailView.as_view(), name="detail"),
    path("<int:pk>/active/", views.EndpointActiveView.as_view(), name="active"),
    path("<int:pk>/secret/", views.EndpointRotateSecretView.as_view(), name="rotate-secret"),
    path("<int:pk>/delete/", views.EndpointDeleteView.as_view(), name="delete"),
    path("deliveries/<uuid:pk>/replay/", views.DeliveryReplayView.as_view(), name="replay"),
]
