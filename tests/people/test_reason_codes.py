"""Reason codes: add, rename, deactivate and reactivate; never delete."""

import pytest

from apps.approvals.exceptions import InvalidInput, NotAllowed
from apps.approvals.models import ReasonCode
from apps.approvals.reason_codes import selectors as reason_code_selectors
from apps.approvals.reason_codes import services as reason_code_services


def test_add_a_reason_code(world, as_alice, in_a):
    response = as_alice.post(
        "/admin/people/reason-codes/", {"code": "wrong_form", "label": "Wrong form used"}
    )
    assert response.status_code == 302
    with in_a():
        code = ReasonCode.objects.get(code="WRONG_FORM")  # lowercase typing is capitalised
    assert (code.label, code.is_active) == ("Wrong form used", True)


def test_bad_or_taken_code_is_a_field_error_and_keeps_the_input(world, as_alice):
    response = as_alice.post(
        "/admin/people/reason-codes/", {"code": "no budget!", "label": "No budget"}
    )
    assert list(response.context["form"].errors) == ["code"]
    assert 'value="No budget"' in response.content.decode()
    response = as_alice.post(
        "/admin/people/reason-codes/", {"code": "GRANT_EXHAUSTED", "label": "Again"}
    )
    assert "already exists" in response.context["form"].errors["code"][0]


def test_rename_changes_the_label_only(world, as_alice, in_a):
    response = as_alice.post(
        f"/admin/people/reason-codes/{world.reason_code.pk}/", {"label": "Budget exhausted"}
    )
    assert response.status_code == 302
    with in_a():
        world.reason_code.refresh_from_db()
    assert (world.reason_code.code, world.reason_code.label) == (
        "GRANT_EXHAUSTED",
        "Budget exhausted",
    )
    response = as_alice.post(f"/admin/people/reason-codes/{world.reason_code.pk}/", {"label": ""})
    assert "label" in response.context["form"].errors


def test_deactivate_hides_from_the_active_list_but_keeps_the_row(world, as_alice, in_a):
    as_alice.post(f"/admin/people/reason-codes/{world.reason_code.pk}/deactivate/")
    with in_a():
        assert ReasonCode.objects.filter(pk=world.reason_code.pk, is_active=False).exists()
        assert world.reason_code not in reason_code_selectors.reason_codes_active()
    page = as_alice.get("/admin/people/reason-codes/")
    assert world.reason_code not in page.context["active_codes"]
    assert world.reason_code in page.context["inactive_codes"]

    as_alice.post(f"/admin/people/reason-codes/{world.reason_code.pk}/reactivate/")
    with in_a():
        assert world.reason_code in reason_code_selectors.reason_codes_active()


def test_there_is_no_way_to_delete(world, as_alice):
    url = f"/admin/people/reason-codes/{world.reason_code.pk}/deactivate/"
    assert as_alice.get(url).status_code == 405
    assert as_alice.delete(f"/admin/people/reason-codes/{world.reason_code.pk}/").status_code == 405


def test_services_refuse_non_admins(world, in_tenant_a):
    with pytest.raises(NotAllowed):
        reason_code_services.reason_code_create(actor=world.bob, code="X", label="X")
    with pytest.raises(NotAllowed):
        reason_code_services.reason_code_set_active(
            actor=world.bob, reason_code=world.reason_code, is_active=False
        )


def test_services_refuse_bad_codes_with_stable_codes(world, in_tenant_a):
    before = ReasonCode.objects.count()
    with pytest.raises(InvalidInput) as bad:
        reason_code_services.reason_code_create(actor=world.alice, code="no budget", label="X")
    assert bad.value.code == "reason_code_invalid"
    assert "code" in bad.value.fields
    with pytest.raises(InvalidInput) as taken:
        reason_code_services.reason_code_create(
            actor=world.alice, code="GRANT_EXHAUSTED", label="X"
        )
    assert taken.value.code == "reason_code_exists"
    with pytest.raises(InvalidInput) as blank:
        reason_code_services.reason_code_rename(
            actor=world.alice, reason_code=world.reason_code, label="  "
        )
    assert blank.value.code == "reason_code_invalid"
    assert ReasonCode.objects.count() == before
