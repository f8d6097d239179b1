"""URLs of the api app on tenant hosts: the REST API under /api/v1/, its schema and docs, and
the API keys admin page."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from apps.api import fhir, views
from apps.api.docs import HAS_SIDECAR, OfflineDocsView, SchemaView
from apps.api.errors import api_not_found
from apps.api.v1 import events, keys, people, requests, tasks, webhooks, workflows

app_name = "api"

v1 = [
    path("me", keys.MeApi.as_view(), name="me"),
    path("workflows", workflows.WorkflowListApi.as_view(), name="workflows"),
    path("workflows/<int:workflow_id>", workflows.WorkflowDetailApi.as_view(), name="workflow"),
    path("requests", requests.RequestListApi.as_view(), name="requests"),
    path("requests/<int:request_id>", requests.RequestDetailApi.as_view(), name="request"),
    path("requests/<int:request_id>/submit", requests.RequestSubmitApi.as_view(), name="submit"),
    path(
        "requests/<int:request_id>/withdraw", requests.RequestWithdrawApi.as_view(), name="withdraw"
    ),
    path(
        "requests/<int:request_id>/resubmit", requests.RequestResubmitApi.as_view(), name="resubmit"
    ),
    path("requests/<int:request_id>/amend", requests.RequestAmendApi.as_view(), name="amend"),
    path("requests/<int:request_id>/appeal", requests.RequestAppealApi.as_view(), name="appeal"),
    path("requests/<int:request_id>/comments", requests.CommentListApi.as_view(), name="comments"),
    path(
        "requests/<int:request_id>/attachments",
        requests.AttachmentListApi.as_view(),
        name="attachments",
    ),
    path(
        "requests/<int:request_id>/attachments/<int:attachment_id>/download",
        requests.AttachmentDownloadApi.as_view(),
        name="attachment-download",
    ),
    path("tasks/mine", tasks.MyTasksApi.as_view(), name="tasks-mine"),
    path("tasks/queue", tasks.QueueTasksApi.as_view(), name="tasks-queue"),
    path("tasks/decide", tasks.TasksDecideBulkApi.as_view(), name="tasks-decide-bulk"),
    path("tasks/<int:task_id>", tasks.TaskDetailApi.as_view(), name="task"),
    path("tasks/<int:task_id>/decide", tasks.TaskDecideApi.as_view(), name="task-decide"),
    path("tasks/<int:task_id>/claim", tasks.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<int:task_id>/delegate", tasks.TaskDelegateApi.as_view(), name="task-delegate"),
    path("api-keys", keys.ApiKeyListApi.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>", keys.ApiKeyDetailApi.as_view(), name="api-key"),
    path("requests/<int:request_id>/extend", requests.RequestExtendApi.as_view(), name="extend"),
    path("events", events.EventFeedApi.as_view(), name="events"),
    path("people", people.PersonListApi.as_view(), name="people"),
    path("people/import", people.OrgChartImportApi.as_view(), name="people-import"),
    path("people/<int:person_id>", people.PersonDetailApi.as_view(), name="person"),
    path("webhooks", webhooks.WebhookListApi.as_view(), name="webhooks"),
    path("webhooks/<int:endpoint_id>", webhooks.WebhookDetailApi.as_view(), name="webhook"),
    path(
        "webhooks/<int:endpoint_id>/deliveries",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<uuid:delivery_id>/replay",
        webhooks.WebhookDeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
]


urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        if HAS_SIDECAR
        else OfflineDocsView.as_view(),
        name="docs",
    ),
    re_path(r"^api/", api_not_found),
    # FHIR Da Vinci PAS endpoints (keys or session), on top of the integrations' FHIR mapping.
    path("fhir/Claim/$submit", fhir.claim_submit, name="fhir-claim-submit"),
    path("fhir/ClaimResponse/<str:reference>", fhir.claim_response, name="fhir-claim-response"),
    path("admin/api-keys/", views.ApiKeyAdminView.as_view(), name="admin-keys"),
    path(
        "admin/api-keys/<int:key_id>/revoke",
        views.ApiKeyRevokeView.as_view(),
        name="admin-key-revoke",
    ),
]
