"""Secrets kept out of every log line: emailed action links, invitation and support-entry links
(also inside `next=`), signed values, API keys, webhook secrets and bearer credentials become
`[redacted]`. Pure Python (no Django import), so a worker or a test plugin can use it anywhere.

Two places apply it: a record factory (`install_record_redaction`, from `CoreConfig.ready`)
rewrites the message of every record when it is made, whichever logger or handler sees it next;
`SecretRedactionFilter`, on every handler of `LOGGING`, also rewrites string extras and the
exception text. docs/security.md, "Secrets in logs".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"

_SLASH = r"(?:/|%2F)"
# One path segment, plain or percent-encoded; stops where a path or query part ends.
_SEGMENT = r"[^/\s?#&\"'<>\\%]+(?:%(?!2F)[0-9A-F]{2}[^/\s?#&\"'<>\\%]*)*"

# URLs that carry a secret in a path segment (config/urls_tenant.py): the emailed action link
# (apps/approvals/urls.py, token from apps/notifications/tokens.py), an invitation
# (apps/accounts/urls.py) and a partner's support entry (apps/tenants/tenant_urls.py).
_SECRET_PATHS = re.compile(
    rf"(?P<keep>{_SLASH}(?:a|invitations|support{_SLASH}enter){_SLASH})(?P<secret>{_SEGMENT})",
    re.IGNORECASE,
)
# A password-reset link (apps/accounts/password_reset.py): /password/reset/<uid>/<token>/. The
# token is Django's (`<timestamp>-<hmac>`); Django's view swaps it for `set-password` at once.
_RESET_PATH = re.compile(
    rf"(?P<keep>{_SLASH}password{_SLASH}reset{_SLASH}{_SEGMENT}{_SLASH})"
    rf"(?P<secret>(?!set-password)[0-9a-z]+-[0-9a-f]{{20,}})",
    re.IGNORECASE,
)
# django.core.signing's TimestampSigner output (`value:timestamp:signature`, SHA-256 signature
# in 43 url-safe characters): invitation and support-entry tokens wherever they appear.
_SIGNED_VALUE = re.compile(
    r"(?<![A-Za-z0-9_.:-])\.?[A-Za-z0-9_-]+:[0-9A-Za-z]{4,}:[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
)
# API keys: tenant `cs_live_<prefix>_<secret>` (apps/api/services.py), partner
# `csp_<prefix>_<secret>` (apps/tenants/api_keys.py). The prefix is public (stored, shown on the
# key lists) and stays, so a line still says which key it was.
_API_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?P<keep>(?:cs_live|csp)_[0-9a-f]{1,16}_)(?P<secret>[A-Za-z0-9_-]{8,})"
)
# Invitation tokens `inv_<random>` (apps/accounts/invitations.py), wherever they appear.
_INVITATION = re.compile(r"(?<![A-Za-z0-9])(?P<keep>inv_)(?P<secret>[A-Za-z0-9_-]{20,})")
# Webhook signing secrets (apps/integrations/webhooks/services.py).
_WEBHOOK_SECRET = re.compile(r"(?<![A-Za-z0-9])(?P<keep>whsec_)(?P<secret>[A-Za-z0-9_-]{8,})")
# `Authorization: Bearer <anything>` (API keys, the metrics token, ERP connector tokens).
_BEARER = re.compile(r"(?P<keep>\bBearer\s+)(?P<secret>[^\s\"'`,;]+)", re.IGNORECASE)

# The formats of our own secrets: any match in a log line is a leak (the suite's sweep,
# tests/fixtures/log_sweep.py). `Bearer` is redacted but not a leak by itself: help texts say
# "Bearer <key>".
_KEPT_PREFIX = (_SECRET_PATHS, _RESET_PATH, _API_KEY, _INVITATION, _WEBHOOK_SECRET)
_LEAKS: tuple[re.Pattern[str], ...] = (*_KEPT_PREFIX, _SIGNED_VALUE)


def _keep_prefix(match: re.Match[str]) -> str:
    if match.group("secret").startswith(REDACTED):
        return match.group(0)
    return match.group("keep") + REDACTED


def redact(text: str) -> str:
    """`text` with every secret we know the format of replaced by `[redacted]`."""
    if not text:
        return text
    for pattern in (*_KEPT_PREFIX, _BEARER):
        text = pattern.sub(_keep_prefix, text)
    return _SIGNED_VALUE.sub(REDACTED, text)


def secrets_in(text: str) -> list[str]:
    """The secrets `redact` would remove from `text` (none once it has been redacted)."""
    found: list[str] = []
    for pattern in _LEAKS:
        for match in pattern.finditer(text):
            secret = match.groupdict().get("secret") or match.group(0)
            if not secret.startswith(REDACTED):
                found.append(match.group(0))
    return found


def leaks_in(lines: Iterable[str]) -> list[str]:
    """The lines of a log that hold a secret: what the suite's sweep reports."""
    return [line for line in lines if secrets_in(line)]


# --- log records ----------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else was passed as `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact_message(record: logging.LogRecord) -> None:
    """Rewrite `record.msg` (and `args`, when a formatted argument held a secret) in place."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if not record.args:
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format is the handler's to report, as logging does
        return
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, ()


class SecretRedactionFilter(logging.Filter):
    """On every handler of LOGGING: the message, string extras (a request path, a URL) and the
    exception text lose their secrets before any formatter sees them. Never drops a record."""

    _exception_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        redact_message(record)
        for name, value in list(record.__dict__.items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and not record.exc_text:
            # Formatters print `exc_text` when it is set instead of formatting the exception.
            record.exc_text = self._exception_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_record_redaction() -> None:
    """Make every new LogRecord with its message already redacted (idempotent): handlers that
    LOGGING does not configure (Celery's, gunicorn's, pytest's) then see no secret either."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_message(record)
        return record

    factory.redacts_secrets = True  # type: ignore[attr-defined]  # marks our own factory
    logging.setLogRecordFactory(factory)
