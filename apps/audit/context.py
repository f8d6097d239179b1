"""Who is acting in the current request (set by middleware, read when writing audit entries)."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    actor_id: int | None = None
    actor_email: str = ""
    ip: str | None = None
    support_session: str = ""


audit_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)
_NOBODY = AuditContext()


def current_audit_context() -> AuditContext:
    return audit_context.get() or _NOBODY
