"""Text every input must be able to store and send: no NUL bytes or unpaired surrogates anywhere
(PostgreSQL cannot store them), no CR/LF/NUL in a value that reaches an email header, and one
normalisation of email addresses. Imports no app, so models, forms, parsers and services share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# A lone UTF-16 surrogate (U+D800..U+DFFF) is not a character: JSON's "\ud800" gives one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_HEADER_UNSAFE = re.compile("[\r\n\x00]")

NUL_MESSAGE = "Remove the NUL character (\\u0000); it cannot be stored."
SURROGATE_MESSAGE = "Remove the unpaired surrogate (an incomplete character); it cannot be stored."
HEADER_MESSAGE = "Line breaks and NUL characters are not allowed here (the value goes into emails)."


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    # Iterative over the nesting (bodies are depth-limited before this runs), keys checked too.
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                yield where or "_", problem
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                name = str(key)
                problem = text_problem(name)
                if problem:
                    yield where or "_", f"A field name is not allowed: {problem}"
                    continue
                stack.append((sub, f"{where}.{name}" if where else name))
        elif isinstance(item, list | tuple):
            for index, sub in enumerate(item):
                stack.append((sub, f"{where}.{index}" if where else str(index)))


def unstorable_fields(value: Any, *, prefix: str = "") -> dict[str, list[str]]:
    """{"field.sub": [message]} for every string in a parsed body that cannot be stored."""
    fields: dict[str, list[str]] = {}
    for where, problem in _walk(value, prefix):
        fields.setdefault(where, [])
        if problem not in fields[where]:
            fields[where].append(problem)
    return dict(sorted(fields.items()))


def form_values(data: Any) -> dict[str, Any]:
    """A QueryDict's values keyed by field name (a list only where the field repeats), so a
    refusal names `status`, not `status.0`."""
    return {key: found[0] if len(found) == 1 else found for key, found in data.lists()}


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot go into an email header (sender name, reply-to, subject)."""
    return HEADER_MESSAGE if _HEADER_UNSAFE.search(value) else None


@deconstructible
class HeaderSafeValidator:
    """Model and form validator: refuses CR, LF and NUL in values that reach email headers."""

    code = "header_unsafe"

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and header_problem(value):
            raise ValidationError(HEADER_MESSAGE, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeaderSafeValidator)

    def __hash__(self) -> int:
        return hash(self.code)


header_safe = HeaderSafeValidator()


def header_clean(value: str) -> str:
    """A value made header-safe at the point of sending (defence in depth: values are refused
    when saved, but a subject is also built from names stored before that rule existed)."""
    return " ".join(_HEADER_UNSAFE.sub(" ", value).split())


def email_normalise(value: str) -> str:
    """The one form of an email address that is stored and looked up: trimmed and lowercased
    (sign-in, invitations, key owners, delegation and routing all compare this form)."""
    return value.strip().lower()
