"""The demo's mailbox: an email backend that keeps each message the web and worker processes
send as one JSON file under `DEMO_MAILBOX_DIR` (and prints a one-line summary instead of the
whole message), and the reader behind the "Demo mailbox" page. Only the development settings
(`config.settings.local`, used by `make demo`) set `DEMO_MAILBOX_DIR`; without it the page is a
404 and this backend refuses to start, so production never keeps mail on disk."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

KEEP = 500  # the newest messages kept on disk


def mailbox_dir() -> Path | None:
    value = getattr(settings, "DEMO_MAILBOX_DIR", "")
    return Path(value) if value else None


class DemoMailboxBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        folder = mailbox_dir()
        if folder is None:
            raise ImproperlyConfigured("DemoMailboxBackend needs DEMO_MAILBOX_DIR (demo only).")
        self.folder = folder

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        schema = str(getattr(connection, "schema_name", "") or "")
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next((str(c) for c, kind in message.alternatives if kind == "text/html"), "")
            now = datetime.now(UTC)
            record = {
                "id": f"{now:%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}",
                "sent_at": now.isoformat(),
                "schema": schema,
                "to": list(message.to),
                "from": message.from_email,
                "subject": str(message.subject),
                "text": str(message.body),
                "html": html,
            }
            path = self.folder / f"{record['id']}.json"
            path.write_text(json.dumps(record))
            sys.stdout.write(f"[demo mailbox] to {', '.join(message.to)}: {message.subject}\n")
        for old in sorted(self.folder.glob("*.json"))[:-KEEP]:
            old.unlink(missing_ok=True)
        return len(email_messages)


@dataclass(frozen=True)
class DemoEmail:
    id: str
    sent_at: datetime
    to: list[str]
    subject: str
    text: str
    html: str


def demo_emails(*, schema: str, addressed_to: str | None) -> list[DemoEmail]:
    """The kept messages sent from tenant `schema`, newest first; only those to
    `addressed_to` unless it is None (a tenant admin sees the tenant's)."""
    folder = mailbox_dir()
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("schema") != schema:
            continue
        if addressed_to is not None and addressed_to.lower() not in (
            to.lower() for to in record.get("to", [])
        ):
            continue
        found.append(
            DemoEmail(
                id=str(record["id"]),
                sent_at=datetime.fromisoformat(record["sent_at"]),
                to=list(record.get("to", [])),
                subject=str(record.get("subject", "")),
                text=str(record.get("text", "")),
                html=str(record.get("html", "")),
            )
        )
    return found
