"""URLs of the notifications app on tenant hosts."""

from django.urls import path

from apps.notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all", views.notification_read_all, name="read-all"),
    path("notifications/<int:notification_id>/read", views.notification_read, name="read"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("admin/notifications/failed/", views.failed_emails, name="failed"),
    path(
        "admin/notifications/failed/<int:email_log_id>/retry",
        views.failed_email_retry,
        name="retry",
    ),
    path("demo/mailbox/", views.demo_mailbox, name="demo-mailbox"),
    path("admin/notifications/settings/", views.notification_settings, name="settings"),
]
