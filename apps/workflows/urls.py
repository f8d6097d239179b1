"""URLs of the workflows pages on tenant hosts (the designer, for tenant admins)."""

from django.urls import path

from apps.workflows import views

app_name = "workflows"
urlpatterns = [
    path("", views.WorkflowListView.as_view(), name="list"),
    path("new/", views.WorkflowCreateView.as_view(), name="create"),
    path("install/", views.TemplateInstallView.as_view(), name="install"),
    path("<int:pk>/", views.DesignerView.as_view(), name="designer"),
    path("<int:pk>/edit/<slug:action>/", views.DesignerEditView.as_view(), name="edit"),
    path("<int:pk>/validate/", views.ValidateView.as_view(), name="validate"),
    path("<int:pk>/preview/", views.PreviewView.as_view(), name="preview"),
    path("<int:pk>/publish/", views.PublishView.as_view(), name="publish"),
    path("<int:pk>/import/", views.ImportView.as_view(), name="import"),
    path("<int:pk>/export/", views.ExportView.as_view(), name="export"),
]
