"""Scopes an API key can carry."""

from django.db import models


class Scope(models.TextChoices):
    REQUESTS_READ = "requests:read", "Read requests, tasks, workflows and events"
    REQUESTS_WRITE = "requests:write", "Create and change requests, comments and attachments"
    TASKS_DECIDE = "tasks:decide", "Decide, claim and delegate tasks"
    ADMIN = "admin", "Manage API keys, webhooks and the org chart (owner must be a tenant admin)"


ALL_SCOPES = [scope.value for scope in Scope]
