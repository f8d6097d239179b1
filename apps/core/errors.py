"""The one error family of every service: a stable code, a message, the field(s) it concerns.

Each app lists its codes in an enum in its own `exceptions.py`; the API answers every one of
these with its single error shape (`apps.api.errors`), and HTML views show the messages on the
fields they name. Django's `ValidationError` stays inside forms (form-level validation only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class CommonCode(StrEnum):
    """Codes any domain may use; a domain's own enum adds the specific ones."""

    INVALID_INPUT = "invalid_input"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    BUSY = "busy"  # a lock conflict that persisted after one retry
    # Input every endpoint refuses before it reaches a service (apps.core.parsers, middleware).
    REQUEST_TOO_LARGE = "request_too_large"  # HTTP 413
    NESTING_TOO_DEEP = "nesting_too_deep"
    MALFORMED_REQUEST = "malformed_request"
    NUL_CHARACTER = "nul_character"
    UNPAIRED_SURROGATE = "unpaired_surrogate"
    HEADER_UNSAFE = "header_unsafe"  # CR, LF or NUL in a value that goes into an email header


class CountersignError(Exception):
    """A refusal a user can act on. `fields` maps a field name to its messages (`field=` is the
    shorthand for one field); `current` is the state of the thing for a conflict."""

    code: str = CommonCode.INVALID_INPUT
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
        http_status: int | None = None,
        current: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = {
            key: [value] if isinstance(value, str) else list(value)
            for key, value in (fields or {}).items()
        }
        if field and field not in self.fields:
            self.fields[field] = [message]
        self.current: dict[str, object] = dict(current or {})
        if code:
            self.code = str(code)
        else:
            self.code = str(type(self).code)
        if http_status:
            self.http_status = http_status

    @property
    def field(self) -> str | None:
        """The first field this error concerns (None for an error about the whole action)."""
        return next(iter(self.fields), None)

    @property
    def messages(self) -> list[str]:
        """Every message of every field (or the message), as Django's errors list them."""
        return [m for found in self.fields.values() for m in found] or [self.message]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InvalidInput(CountersignError):
    code: str = CommonCode.INVALID_INPUT
    http_status = 400


class NotAllowed(CountersignError):
    code: str = CommonCode.NOT_ALLOWED
    http_status = 403


class NotFound(CountersignError):
    code: str = CommonCode.NOT_FOUND
    http_status = 404


class Conflict(CountersignError):
    code: str = CommonCode.CONFLICT
    http_status = 409


def invalid_from_django(error: object, *, code: str, message: str = "") -> InvalidInput:
    """A model's `full_clean` refusal (Django's ValidationError) as our InvalidInput, keeping
    its per-field messages; services call this so no Django ValidationError leaves them."""
    message_dict: dict[str, list[str]] = dict(getattr(error, "message_dict", None) or {})
    if not message_dict:
        message_dict = {"_": list(getattr(error, "messages", None) or [str(error)])}
    fields = {("_" if key == "__all__" else key): value for key, value in message_dict.items()}
    first = next(iter(fields.values()))[0] if fields else str(error)
    return InvalidInput(message or first, code=code, fields=fields)


def form_errors_show(form: Any, error: Any) -> None:
    """Put a service's refusal on the form fields it names (the rest as non-field errors).
    Takes a CountersignError, or a Django ValidationError from a model's own validation."""
    if isinstance(error, CountersignError):
        fields = error.fields or {"_": [error.message]}
    elif hasattr(error, "error_dict"):
        fields = error.message_dict
    else:
        fields = {"_": list(getattr(error, "messages", [str(error)]))}
    for name, messages in fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def invalid_fields(fields: Mapping[str, Sequence[str]], *, code: str) -> InvalidInput:
    """An InvalidInput for several fields at once; its message is the first field's first."""
    first = next((messages[0] for messages in fields.values() if messages), "Check the fields.")
    return InvalidInput(first, code=code, fields=fields)
