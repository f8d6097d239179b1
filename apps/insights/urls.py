"""URLs of the insights app on tenant hosts."""

from django.urls import path

from apps.insights import views

app_name = "insights"
urlpatterns = [
    path("admin/insights/", views.DashboardView.as_view(), name="dashboard"),
    path("admin/insights/data/<slug:name>.csv", views.DatasetCsvView.as_view(), name="csv"),
    path("admin/insights/cms-0057-f/", views.CmsReportView.as_view(), name="cms"),
    path("admin/insights/cms-0057-f.csv", views.CmsReportCsvView.as_view(), name="cms-csv"),
    path(
        "admin/insights/export/requests.csv",
        views.ExportView.as_view(kind="requests"),
        name="export-requests",
    ),
    path(
        "admin/insights/export/decisions.csv",
        views.ExportView.as_view(kind="decisions"),
        name="export-decisions",
    ),
    path("insights/departments/", views.ManagerDashboardView.as_view(), name="departments"),
    path(
        "insights/departments/data/<slug:name>.csv",
        views.ManagerDatasetCsvView.as_view(),
        name="departments-csv",
    ),
]
