"""API reference pages that work offline. Swagger UI is used when drf-spectacular-sidecar is
installed (its assets are served locally); otherwise /api/docs/ renders the OpenAPI schema as
a plain server-side page (no JavaScript, no CDN)."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

HAS_SIDECAR = importlib.util.find_spec("drf_spectacular_sidecar") is not None
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation.get("operationId", ""),
                    "tag": (operation.get("tags") or ["other"])[0],
                    "summary": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "statuses": sorted(operation.get("responses", {})),
                    "security": [next(iter(s), "") for s in operation.get("security", [])],
                }
            )
    return operations


class OfflineDocsView(APIView):
    """A readable index of every operation, generated from the same schema as /api/schema/."""

    schema = None  # not an API operation
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    renderer_classes = [StaticHTMLRenderer]

    def get(self, request: Request) -> Response:
        schema = SchemaGenerator().get_schema(request=request, public=True)  # type: ignore[no-untyped-call]  # drf-spectacular
        html = render(
            request._request,
            "api/docs.html",
            {"operations": _operations(schema), "info": schema.get("info", {})},
        ).content.decode()
        return Response(html)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ?format=json); its errors are JSON like the API's."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(response, "status_code", 200) >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
            response.renderer_context = self.get_renderer_context()
            return response
        return super().finalize_response(request, response, *args, **kwargs)
