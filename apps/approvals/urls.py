"""URLs of the approvals pages on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "approvals"
urlpatterns: list = []
