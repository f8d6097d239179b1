"""URLs of requests, tasks and the inbox on tenant hosts."""

from django.urls import path

from apps.approvals import appeal_views, draft_views, email_link_views, inbox_views, views

app_name = "approvals"
urlpatterns = [
    # The emailed action links keep their short public URL (links already sent still work).
    path("a/resume", email_link_views.action_link_resume, name="email-link-resume"),
    path("a/<str:token>", email_link_views.action_link, name="email-link"),
    path("inbox/", inbox_views.inbox_page, name="inbox"),
    path("inbox/bulk", inbox_views.bulk_decide, name="inbox-bulk"),
    path("inbox/bulk/results", inbox_views.bulk_results, name="inbox-bulk-results"),
    path("inbox/views", inbox_views.saved_view_save, name="inbox-view-save"),
    path(
        "inbox/views/<int:view_id>/delete",
        inbox_views.saved_view_delete,
        name="inbox-view-delete",
    ),
    path("requests/", views.my_requests, name="my-requests"),
    path("requests/new/", views.new_request_choose, name="new"),
    path("requests/new/<slug:key>/", views.new_request, name="new-form"),
    path("requests/<str:reference>/", views.request_detail, name="detail"),
    path("requests/<str:reference>/break-glass", views.break_glass, name="break-glass"),
    path("requests/<str:reference>/share", views.request_share, name="share"),
    path("requests/<str:reference>/watch", inbox_views.watch_toggle, name="watch"),
    path("privacy/break-glass/", views.break_glass_review, name="break-glass-review"),
    path("requests/<str:reference>/packet.pdf", views.packet_pdf, name="packet"),
    path("requests/<str:reference>/withdraw", views.request_withdraw, name="withdraw"),
    path("requests/<str:reference>/edit", draft_views.draft_edit, name="draft-edit"),
    path("requests/<str:reference>/submit", draft_views.draft_submit, name="draft-submit"),
    path("requests/<str:reference>/delete", draft_views.draft_delete, name="draft-delete"),
    path("requests/<str:reference>/resubmit", views.request_resubmit, name="resubmit"),
    path("requests/<str:reference>/appeal", appeal_views.request_appeal, name="appeal"),
    path("requests/<str:reference>/peer-to-peer", appeal_views.peer_to_peer, name="peer-to-peer"),
    path("requests/<str:reference>/comments", views.comment_add, name="comment"),
    path("requests/<str:reference>/attachments", views.attachment_add, name="attach"),
    path(
        "requests/<str:reference>/attachments/<int:attachment_id>",
        views.attachment_download,
        name="attachment",
    ),
    path("requests/<str:reference>/tasks/<int:task_id>/decide", views.task_decide, name="decide"),
    path("requests/<str:reference>/tasks/<int:task_id>/claim", views.task_claim, name="claim"),
    path(
        "requests/<str:reference>/tasks/<int:task_id>/delegate",
        views.task_delegate,
        name="delegate",
    ),
    path("exceptions/", views.exception_queue, name="exceptions"),
]
