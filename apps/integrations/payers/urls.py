"""URLs of the payer admin pages (under /admin/payers/ on tenant hosts)."""

from django.urls import path

from apps.integrations.payers import views

app_name = "payers"
urlpatterns = [
    path("", views.PayerListView.as_view(), name="list"),
    path("<int:pk>/", views.PayerEditView.as_view(), name="edit"),
    path("<int:pk>/active", views.PayerActiveView.as_view(), name="active"),
    path(
        "submissions/<int:pk>/retry", views.SubmissionRetryView.as_view(), name="submission-retry"
    ),
]
