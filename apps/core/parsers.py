"""The API's request parsers (tenant API and partner API): DRF's JSON, form and multipart
parsers that also refuse JSON nested deeper than `MAX_JSON_DEPTH` and any text PostgreSQL cannot
store (NUL bytes, unpaired surrogates), each as an `InvalidInput` naming the field. Size limits
are Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (answered 413 by `apps.api.errors`)."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

from apps.core.errors import CommonCode, InvalidInput
from apps.core.text import NUL_MESSAGE, form_values, unstorable_fields

MAX_JSON_DEPTH = 64
DEPTH_MESSAGE = f"The JSON body is nested too deeply; at most {MAX_JSON_DEPTH} levels are allowed."

TOO_LARGE_MESSAGE = "The request body is too large."


def too_large_message(exc: Exception) -> str | None:
    """The 413 message for Django's body limits (`DATA_UPLOAD_MAX_MEMORY_SIZE`,
    `DATA_UPLOAD_MAX_NUMBER_FIELDS`, `DATA_UPLOAD_MAX_NUMBER_FILES`), None for anything else."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return f"{TOO_LARGE_MESSAGE} The limit is {limit // 1024} KB (files excepted)."
    if isinstance(exc, TooManyFieldsSent):
        return f"{TOO_LARGE_MESSAGE} It has too many form fields."
    if isinstance(exc, TooManyFilesSent):
        return f"{TOO_LARGE_MESSAGE} It has too many files."
    return None


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed body (iterative: no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        stack.extend((child, depth) for child in children)
    return deepest


def refuse_unstorable(data: Any) -> None:
    """Raise InvalidInput naming every field whose text contains a NUL or a lone surrogate."""
    if hasattr(data, "lists"):  # QueryDict / MultiValueDict: every value of every key
        data = form_values(data)
    fields = unstorable_fields(data)
    if not fields:
        return
    first_field, messages = next(iter(fields.items()))
    code = CommonCode.NUL_CHARACTER if messages[0].endswith(NUL_MESSAGE) else None
    raise InvalidInput(
        f"{first_field}: {messages[0]}",
        code=code or CommonCode.UNPAIRED_SURROGATE,
        fields=fields,
    )


class SafeJSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        strict = api_settings.STRICT_JSON
        try:
            decoded: Any = codecs.getreader(encoding)(stream)
            data = json.load(decoded, parse_constant=json.strict_constant if strict else None)
        except RecursionError:  # deeper than Python's own limit: refused like any other depth
            raise InvalidInput(DEPTH_MESSAGE, code=CommonCode.NESTING_TOO_DEEP, field="_") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise InvalidInput(DEPTH_MESSAGE, code=CommonCode.NESTING_TOO_DEEP, field="_")
        refuse_unstorable(data)
        return data


class SafeFormParser(parsers.FormParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_unstorable(data)
        return data


class SafeMultiPartParser(parsers.MultiPartParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_unstorable(parsed.data)
        refuse_unstorable({key: getattr(f, "name", "") for key, f in parsed.files.items()})
        return parsed
