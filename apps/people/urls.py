"""URLs of the people pages on tenant hosts."""

from django.urls import path  # noqa: F401

app_name = "people"
urlpatterns: list = []
