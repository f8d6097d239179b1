"""In Chromium: alice adds a stage with a role-approved step, validates and publishes."""

from uuid import uuid4

import pytest
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def test_alice_designs_validates_and_publishes_a_workflow(page, live_site):
    from apps.accounts.models import User
    from apps.people.services import role_ensure
    from apps.tenants.models import Tenant
    from apps.workflows.services import workflow_create

    tag = uuid4().hex[:8]
    role_key = f"reviewers_{tag}"
    with tenant_context(Tenant.objects.get(slug="alpha")):  # committed: the server thread reads it
        alice = User.objects.get(email="alice@alpha.test")
        role_ensure(actor=None, key=role_key, name=f"Reviewers {tag}")
        workflow_create(
            actor=alice,
            key=f"browser-{tag}",
            name=f"Browser workflow {tag}",
            category="browser",
            reference_prefix="BRW",
        )

    page.goto(live_site.url("alpha", "/login/"))
    page.fill("#id_username", "alice@alpha.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_site.url("alpha", "/admin/workflows/"))
    page.click(f"text=Browser workflow {tag}")

    page.fill("#add-stage", "Review")
    page.get_by_role("button", name="Add stage").click()
    page.fill("#add-step-0", "Reviewer check")
    page.get_by_role("button", name="Add step").click()
    page.check(f"#step-0-0 input[name=approvers][value='role:{role_key}']")
    page.get_by_role("button", name="Save step").click()
    page.wait_for_selector("text=Draft saved.")
    assert page.is_checked(f"#step-0-0 input[value='role:{role_key}']")

    page.get_by_role("link", name="Validate").click()
    page.wait_for_selector("text=No problems found")
    screenshot(page, "designer-validated")

    page.fill("#publish-note", "Published from the browser")
    page.locator("#publish").get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published version 1.")
    assert page.inner_text("[data-testid=current-version]") == "v1 published"
    assert "Published from the browser" in page.inner_text("[data-testid=versions]")
    screenshot(page, "designer-published")
