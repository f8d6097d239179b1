"""In Chromium: a new request whose vendor quote is refused (too large) is not created at all,
the page shows the message on the quote field and does not keep the refused file's name; the
resubmission with an accepted file creates the request, and its answers and its attachments
name the same file."""

import secrets

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest
from apps.tenants.models import Tenant
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LIMIT = 64 * 1024


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def _requests_for(item: str) -> list[ApprovalRequest]:
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        return list(
            ApprovalRequest.objects.filter(data__item_description=item).prefetch_related(
                "attachments"
            )
        )


def test_a_refused_quote_leaves_no_request_and_the_retry_agrees(
    chromium, live_site, open_db, monkeypatch
):
    monkeypatch.setattr("apps.approvals.discussion.MAX_ATTACHMENT_BYTES", LIMIT)
    item = f"Infusion pumps {secrets.token_hex(3)}"
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.fill("#id_username", "carol@alpha.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        page.click("text=New request")
        page.click("[data-testid=workflow-capital-purchase]")
        page.fill("#id_item_description", item)
        page.fill("#id_vendor", "Upload Refusal Supplies")
        page.fill("#id_amount", "4000")
        page.fill("#id_cost_centre", "4100-RAD")
        page.select_option("#id_owning_department", "radiology")
        page.fill("#id_justification", "Replacing pumps past their service life.")
        page.set_input_files(
            "#id_quote",
            {"name": "big.pdf", "mimeType": "application/pdf", "buffer": _pdf(LIMIT + 1024)},
        )
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("text=Submit for approval")
        assert answer.value.status == 400
        assert "at most" in page.inner_text("[data-testid=error-quote]")
        assert "big.pdf" not in page.content()  # not offered as the "current" file
        assert page.locator("input[name=quote__kept]").count() == 0
        assert _requests_for(item) == []

        # Corrected: the answers are still there; choose an accepted file.
        assert page.input_value("#id_item_description") == item
        page.set_input_files(
            "#id_quote",
            {"name": "small.pdf", "mimeType": "application/pdf", "buffer": _pdf(2048)},
        )
        page.click("text=Submit for approval")
        page.wait_for_selector("[data-testid=status]")
        (created,) = _requests_for(item)
        assert created.data["quote"] == "upload:small.pdf"
        assert [a.original_name for a in created.attachments.all()] == ["small.pdf"]
    finally:
        context.close()
        _forget_test_requests()


def _forget_test_requests() -> None:
    """This test commits (the browser's server is another thread): remove what it made so
    later tests that count requests see none of it."""
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        made = ApprovalRequest.objects.filter(data__item_description__startswith="Infusion pumps")
        for request in made:
            for attachment in request.attachments.all():
                attachment.file.delete(save=False)
        made.delete()
    connection.set_schema_to_public()
