"""`Idempotency-Key` on POST: the same key and body replay the stored response (status and
body); the same key with another body is a 422. Records are per tenant (they live in its
schema) and per owner, and expire after 24 hours."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.api.services import idempotency_begin, idempotency_finish
from apps.approvals.exceptions import InvalidInput

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID). Retrying with the same key and body returns the "
        "stored response; the same key with a different body is refused with 422. Kept 24 h."
    ),
    pattern=_VALID_KEY.pattern,
)


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {key: [_canonical(v) for v in values] for key, values in value.lists()}
    if isinstance(value, dict):
        return {str(key): _canonical(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    data = _canonical(request.data)
    text = json.dumps([request.method, request.path, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a POST handler of an APIView (runs after authentication, scopes and throttling)."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise InvalidInput(
                "The Idempotency-Key header is malformed.",
                fields={HEADER: ["Use 1 to 255 letters, digits and . _ : -"]},
            )
        record, run = idempotency_begin(
            owner=cast("User", request.user), key=key, fingerprint=fingerprint(request)
        )
        if not run:
            response = Response(record.body, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:  # stored like any other answer (server errors are not)
            response = view.handle_exception(exc)
        body = (
            json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
        )
        idempotency_finish(record=record, status_code=response.status_code, body=body)
        return response

    return wrapper
