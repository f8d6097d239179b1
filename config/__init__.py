"""Project configuration: settings, URL maps, Celery app and the embedded development services."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
