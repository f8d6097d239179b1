"""Per-request context (request id) shared with logging and audit, without patient data."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
