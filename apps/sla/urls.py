"""URLs of the sla app on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "sla"
urlpatterns: list = []
