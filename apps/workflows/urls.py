"""URLs of the workflows pages on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "workflows"
urlpatterns: list = []
