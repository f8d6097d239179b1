"""URLs of the integrations app on tenant hosts."""

from django.urls import path

from apps.integrations.erp import views as erp_views

app_name = "integrations"
urlpatterns = [
    path("integrations/callbacks/<slug:source>", erp_views.inbound_callback, name="callback"),
    path("admin/erp/", erp_views.reconciliation, name="erp-admin"),
    path(
        "admin/erp/postings/<int:posting_id>/reconcile",
        erp_views.posting_reconcile,
        name="erp-reconcile",
    ),
    path("admin/erp/postings/<int:posting_id>/retry", erp_views.posting_retry, name="erp-retry"),
]
