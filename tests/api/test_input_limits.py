"""Bad input to the API is a 4xx in the one error shape, never a 500: bodies past the size limit
(413), JSON nested too deeply, NUL bytes and unpaired surrogates anywhere in the data."""

import json

import pytest
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest, Comment
from tests.api.conftest import error_of
from tests.approvals.helpers import capital_data


@pytest.fixture
def carol_api(api, carol):
    return api(carol)


@pytest.fixture
def submitted(carol_api):
    body = {"workflow": "capital-purchase", "data": capital_data("120000")}
    response = carol_api.post("/api/v1/requests", body)
    assert response.status_code == 201, response.content
    return response.json()


def _raw(client, path, text):
    return client.client.post(path, text, content_type="application/json", headers=client.headers())


def test_a_3_mb_comment_is_413_in_the_error_shape(carol_api, submitted, tenant_a):
    response = carol_api.post(
        f"/api/v1/requests/{submitted['id']}/comments", {"body": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    with tenant_context(tenant_a):
        assert not Comment.objects.filter(request_id=submitted["id"]).exists()


def test_json_nested_5000_deep_is_400_naming_the_problem(carol_api, submitted):
    deep = "[" * 5000 + "]" * 5000
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", deep)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "nesting_too_deep"
    assert "nested too deeply" in error["fields"]["_"][0]


@pytest.mark.parametrize("depth", [65, 200])
def test_json_past_64_levels_is_refused(carol_api, submitted, depth):
    body = json.dumps({"body": "hi", "extra": json.loads("[" * depth + "]" * depth)})
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "nesting_too_deep"


def test_json_within_the_depth_limit_is_accepted(carol_api, submitted):
    body = json.dumps({"body": "hi", "extra": json.loads("[" * 60 + "]" * 60)})
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", body)
    assert response.status_code == 201, response.content


def test_invalid_json_is_still_malformed_request(carol_api, submitted):
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", '{"body": ')
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


@pytest.mark.parametrize(
    ("text", "code"),
    [("a\x00b", "nul_character"), ("a\ud800b", "unpaired_surrogate")],
)
def test_nul_and_lone_surrogates_in_a_comment_are_400_naming_the_field(
    carol_api, submitted, tenant_a, text, code
):
    body = json.dumps({"body": text})  # ensure_ascii: "\u0000" / "\ud800" escapes
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert list(error["fields"]) == ["body"]
    with tenant_context(tenant_a):
        assert not Comment.objects.filter(request_id=submitted["id"]).exists()


@pytest.mark.parametrize(
    ("text", "code"),
    [("\x00", "nul_character"), ("\udc00", "unpaired_surrogate")],
)
def test_amend_refuses_unstorable_text_in_nested_data(carol_api, submitted, tenant_a, text, code):
    data = capital_data("130000")
    name = next(key for key, value in data.items() if isinstance(value, str))
    data[name] = f"pump{text}"
    response = carol_api.post(f"/api/v1/requests/{submitted['id']}/amend", {"data": data})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert f"data.{name}" in error["fields"]
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.get(pk=submitted["id"]).amount == 120000


def test_a_nul_in_a_field_name_is_refused(carol_api, submitted):
    body = json.dumps({"body": "hi", "a\x00": "x"})
    response = _raw(carol_api, f"/api/v1/requests/{submitted['id']}/comments", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "nul_character"


def test_a_nul_in_the_query_string_is_400_in_the_error_shape(carol_api, submitted):
    response = carol_api.get("/api/v1/requests", {"status": "in_review\x00"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "nul_character"
    assert "query.status" in error["fields"]


def test_a_nul_in_a_multipart_field_is_refused(carol_api, submitted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = carol_api.post(
        f"/api/v1/requests/{submitted['id']}/attachments",
        {"file": upload, "description": "q\x00"},
        multipart=True,
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "nul_character"
