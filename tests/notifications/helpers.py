"""Shortcuts for notification tests: run after-commit work, find action links in emails."""

import re

from django.db import connection

ACTION_LINK = re.compile(r"https?://[^\s\"<>]+/a/([A-Za-z0-9_\-]+)")


def action_token_in(message) -> str:
    from tests.notifications.fixtures import text_of

    match = ACTION_LINK.search(text_of(message))
    assert match, "no action link in the email"
    return match.group(1)


def schema() -> str:
    return connection.schema_name
