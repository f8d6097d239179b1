"""URLs of the integrations app on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "integrations"
urlpatterns: list = []
