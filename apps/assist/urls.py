"""URLs of the assist app on tenant hosts."""

from django.urls import path

from apps.assist import views

app_name = "assist"
urlpatterns = [
    path("requests/<str:reference>/assist/", views.panel, name="panel"),
    path("requests/<str:reference>/assist/missing", views.missing, name="missing"),
    path(
        "requests/<str:reference>/assist/<int:recommendation_id>/feedback",
        views.feedback,
        name="feedback",
    ),
    path("admin/assist/", views.SettingsView.as_view(), name="settings"),
    path("admin/assist/criteria/", views.ChecklistListView.as_view(), name="criteria"),
    path(
        "admin/assist/criteria/<int:pk>/", views.ChecklistEditView.as_view(), name="criteria_edit"
    ),
]
