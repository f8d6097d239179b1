"""Schemathesis over every operation of /api/schema/: authenticated with a tenant A key that
has every scope, through Django's WSGI app. No 5xx, every response matches the schema, and
requests the schema forbids (negative data) are refused with a 4xx."""

from contextlib import contextmanager

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import negative_data_rejection, not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import key_for
from tests.approvals.helpers import capital_data

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@contextmanager
def wsgi_app():
    """Django's WSGI app, without closing the test's database connection after each request
    (Django's test client does the same around each of its requests, and reconnects after)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_ids(api, carol, bob, alice) -> dict[str, list[object]]:
    """Ids of objects that exist, so generated calls also reach real requests and tasks."""
    carol_api = api(carol)
    made = carol_api.post(
        "/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data()}
    ).json()
    carol_api.post(f"/api/v1/requests/{made['id']}/comments", {"body": "Quote follows."})
    admin = api(alice)
    hook = admin.post("/api/v1/webhooks", {"url": "https://erp.example.org/h", "events": ["*"]})
    workflows = admin.get("/api/v1/workflows").json()["results"]
    return {
        "request_id": [made["id"]],
        "task_id": [t["id"] for t in made["tasks"]],
        "workflow_id": [w["id"] for w in workflows[:3]],
        "endpoint_id": [hook.json()["id"]],
    }


def test_every_operation_conforms_to_the_schema(api, alice, bob, carol, tenant_a):
    key = key_for(tenant_a, alice)
    headers = {"Authorization": f"Bearer {key}", "Host": "alpha.localhost"}
    real_ids = _real_ids(api, carol, bob, alice)
    with wsgi_app() as app:
        _run_schemathesis(app, headers, real_ids)


def test_what_the_schema_forbids_is_refused(api, alice, bob, carol, tenant_a):
    key = key_for(tenant_a, alice)
    headers = {"Authorization": f"Bearer {key}", "Host": "alpha.localhost"}
    real_ids = _real_ids(api, carol, bob, alice)
    with wsgi_app() as app:
        _run_schemathesis(
            app,
            headers,
            real_ids,
            mode=GenerationMode.NEGATIVE,
            checks=[not_a_server_error, negative_data_rejection],
        )


def test_blank_filters_and_bad_page_sizes_are_refused(api, carol):
    carol_api = api(carol)
    for query in ("workflow=", "urgency=", "status=%20"):
        refused = carol_api.get(f"/api/v1/requests?{query}")
        assert refused.status_code == 400, query
        assert refused.json()["error"]["fields"], query
    for size in ("true", "0", "-3", "", "1.5"):
        refused = carol_api.get(f"/api/v1/requests?page_size={size}")
        assert refused.status_code == 400, size
        assert "page_size" in refused.json()["error"]["fields"]
    assert carol_api.get("/api/v1/requests?page_size=500").status_code == 200  # capped at 200
    typo = carol_api.get("/api/v1/requests?stauts=approved")
    assert typo.status_code == 400
    assert "status" in typo.json()["error"]["fields"]["stauts"][0]  # names what is accepted
    assert carol_api.get("/api/v1/me?page_size=5").status_code == 400  # not a list


def _run_schemathesis(app, headers, real_ids, *, mode=GenerationMode.POSITIVE, checks=CHECKS):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    calls: dict[str, int] = {}

    for operation in operations:

        @given(
            case=operation.as_strategy(generation_mode=mode),
            use_real=st.booleans(),
            pick=st.integers(0, 5),
        )
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case, use_real, pick):
            for name in list(case.path_parameters or {}):
                if use_real and real_ids.get(name):
                    options = real_ids[name]
                    case.path_parameters[name] = options[pick % len(options)]
            case.call_and_validate(headers=headers, checks=checks)
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1

        run()

    assert len(calls) == len(operations)
    print(f"schemathesis: {len(operations)} operations, {sum(calls.values())} calls")


def test_a_download_is_sent_with_a_content_type_the_schema_names(api, carol):
    from django.core.files.uploadedfile import SimpleUploadedFile

    carol_api = api(carol)
    made = carol_api.post(
        "/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data()}
    ).json()
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    attached = carol_api.post(
        f"/api/v1/requests/{made['id']}/attachments", {"file": upload}, multipart=True
    ).json()
    download = carol_api.get(f"/api/v1/requests/{made['id']}/attachments/{attached['id']}/download")
    schema = carol_api.get("/api/schema/?format=json").json()
    path = "/api/v1/requests/{request_id}/attachments/{attachment_id}/download"
    documented = schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert download["Content-Type"] == "application/pdf"
    assert "application/pdf" in documented
