"""URLs of the notifications app on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "notifications"
urlpatterns: list = []
