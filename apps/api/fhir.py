"""FHIR endpoints on tenant hosts (served by the API app; the mapping lives in
`apps.integrations.fhir`): `POST fhir/Claim/$submit` and `GET fhir/ClaimResponse/<ref>`.

Authenticated by the browser session (CSRF-checked for POST) or by an API key (the API app's
`ApiKeyAuthentication`; a key needs the requests:write / requests:read scope). Anonymous
callers get a 401 OperationOutcome. Requests are read through the approvals permission filter,
so anyone who cannot see a request gets a 404 without learning it exists.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from apps.api.authentication import ApiKeyAuthentication
from apps.approvals import selectors
from apps.approvals.exceptions import NotFound
from apps.integrations.fhir.outcome import FhirProblem, Issue, operation_outcome
from apps.integrations.fhir.pas_export import claim_response_bundle, claim_response_read
from apps.integrations.fhir.pas_import import WORKFLOW_KEY, claim_import

if TYPE_CHECKING:
    from apps.accounts.models import User

logger = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"


def _json(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name] = value
    return response


def _problem(problem: FhirProblem) -> HttpResponse:
    return _json(operation_outcome(problem.issues), problem.http_status)


def _api_key_user(request: HttpRequest, scope: str) -> User | None:
    """The user of a valid API key (None without a Bearer key or with a bad one)."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    try:
        result = ApiKeyAuthentication().authenticate(Request(request))
    except APIException:
        return None
    if not result:
        return None
    user, key = result
    has_scope = getattr(key, "has_scope", None)
    if callable(has_scope) and not has_scope(scope):
        raise FhirProblem([Issue("forbidden", f"The API key lacks the {scope} scope.", "")], 403)
    return user


def _authenticate(request: HttpRequest, scope: str) -> User:
    key_user = _api_key_user(request, scope)
    if key_user is not None:
        return key_user
    user = request.user
    if not user.is_authenticated or not user.is_active:
        raise FhirProblem([Issue("login", "Sign in or send an API key.", "")], 401)
    if request.method == "POST":  # session auth: the browser's CSRF defence applies
        reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
            request, lambda r: HttpResponse(), (), {}
        )
        if reason is not None:
            raise FhirProblem([Issue("security", "CSRF check failed.", "")], 403)
    return user


@csrf_exempt  # checked in _authenticate for session callers; API keys need no CSRF
def claim_submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _json(operation_outcome([Issue("not-supported", "Use POST.", "")]), 405)
    try:
        user = _authenticate(request, "requests:write")
        imported = claim_import(actor=user, raw=request.body)
    except FhirProblem as problem:
        logger.info("PAS $submit refused: %s issue(s)", len(problem.issues))
        return _problem(problem)
    bundle = claim_response_bundle(imported.request)
    location = f"/fhir/ClaimResponse/{imported.request.reference}"
    return _json(bundle, 201 if imported.created else 200, Location=location)


def claim_response(request: HttpRequest, reference: str) -> HttpResponse:
    if request.method != "GET":
        return _json(operation_outcome([Issue("not-supported", "Use GET.", "")]), 405)
    try:
        user = _authenticate(request, "requests:read")
        try:
            approval = selectors.request_for(user, reference)
        except NotFound:
            raise FhirProblem(
                [Issue("not-found", "No prior authorization with that reference that you can "
                       "see.", "ClaimResponse.preAuthRef")], 404) from None  # fmt: skip
        if approval.workflow_version.definition.key != WORKFLOW_KEY:
            raise FhirProblem(
                [Issue("not-found", "That request is not a prior authorization.",
                       "ClaimResponse.preAuthRef")], 404)  # fmt: skip
    except FhirProblem as problem:
        return _problem(problem)
    response = _json(claim_response_read(user=user, approval=approval))
    response["Cache-Control"] = "no-store"  # PHI: never cached by proxies
    return response
