"""One error family: each app's service refusals reach an API client through the one handler
(`apps.api.errors.api_exception_handler`) with their code, message, field and status; no
Django ValidationError is left for it to translate."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import tenant_context
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.accounts.invitations import invitation_create
from apps.api.errors import api_exception_handler
from apps.people import services as people
from apps.workflows.services import workflow_create
from tests.api.conftest import error_of


def _through_api(call: Callable[[], Any]) -> Any:
    """Run `call` as a DRF view's body, so its error goes through the API's handler."""

    class Probe(APIView):
        authentication_classes: list[type] = []
        permission_classes = [AllowAny]
        throttle_classes: list[type] = []

        def post(self, request: Request) -> Response:
            call()
            return Response({"ok": True})

    assert Probe().get_exception_handler() is api_exception_handler
    response = Probe.as_view()(APIRequestFactory().post("/probe", {}, format="json"))
    return response.render()


def _error(response: Any) -> dict[str, Any]:
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    return body["error"]


def test_people_refusal_through_the_api(tenant_a, alice, bob):
    with tenant_context(tenant_a):
        response = _through_api(lambda: people.role_create(actor=bob, key="x", name="X"))
    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "admin_only"
    assert "tenant administrators" in error["message"]


def test_workflows_refusal_through_the_api(tenant_a, alice):
    with tenant_context(tenant_a):
        response = _through_api(
            lambda: workflow_create(
                actor=alice,
                key="capital-purchase",
                name="Again",
                category="purchasing",
                reference_prefix="CAP",
            )
        )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "key_taken"
    assert error["fields"] == {"key": [error["message"]]}


def test_accounts_refusal_through_the_api(tenant_a, alice):
    with tenant_context(tenant_a):
        response = _through_api(
            lambda: invitation_create(
                actor=alice, email="not an address", full_name="X", base_url="http://x"
            )
        )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "email_invalid"
    assert error["fields"] == {"email": ["Enter a valid email address."]}


def test_integrations_refusal_through_the_api(api, alice):
    response = api(alice).post("/api/v1/webhooks", {"url": "ftp://x", "events": ["*"]})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert "url" in error["fields"]


@pytest.mark.django_db
def test_tenants_refusal_through_the_partner_api():
    from tests.partners.test_api import _key
    from tests.partners.test_api import api as partner_api

    key = _key("partner-p", "paula@partner-p.test")
    response = partner_api(key).post(
        "/api/partner/v1/tenants/",
        {"slug": "alpha", "name": "Alpha Again"},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"  # the partner API's stable code for invalid fields
    assert error["fields"] == {"slug": ['A tenant called "alpha" already exists.']}
