"""Per-request context (request id) shared with logging and audit, without patient data."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# The session key that marks a partner support session: set by apps.tenants.support, read by the
# audit context (who acted on whose behalf) and the MFA check (MFA was passed on the console).
SUPPORT_SESSION_KEY = "countersign_support_session"


def current_request_id() -> str | None:
    """The request id for django-auditlog's correlation id (None outside a request)."""
    value = request_id_var.get()
    return None if value == "-" else value
