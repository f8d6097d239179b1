"""Reason code pages for tenant admins (mounted at /admin/people/reason-codes/, next to the
people pages they belong with in the admin)."""

from django.urls import path

from apps.approvals.reason_codes import views

app_name = "reason_codes"
urlpatterns = [
    path("", views.ReasonCodeListView.as_view(), name="list"),
    path("<int:pk>/", views.ReasonCodeEditView.as_view(), name="edit"),
    path(
        "<int:pk>/deactivate/",
        views.ReasonCodeActiveView.as_view(is_active=False),
        name="deactivate",
    ),
    path(
        "<int:pk>/reactivate/",
        views.ReasonCodeActiveView.as_view(is_active=True),
        name="reactivate",
    ),
]
