"""URLs of the audit trail pages on tenant hosts."""

from django.urls import path

from apps.audit import views

app_name = "audit"
urlpatterns = [
    path("admin/audit/", views.audit_trail, name="trail"),
    path("admin/audit/export.csv", views.audit_export_csv, name="export-csv"),
    path("admin/audit/export.pdf", views.audit_export_pdf, name="export-pdf"),
]
