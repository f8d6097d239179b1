"""Reading a payer's ClaimResponse: review actions per item to the step's outcome, reasons and
tracking numbers, and answers we refuse to read (without quoting them)."""

import copy

import pytest

from apps.integrations.fhir.pas_answer import read_answer
from apps.integrations.payers.exceptions import AnswerInvalid
from tests.integrations.fhir.fake_payer import _claim_response, approve, deny, partial, pend


def answer_of(script, sequences=(1, 2)):
    return read_answer(_claim_response(script, "PAS-2026-000001-t2", list(sequences)))


def test_all_certified_is_approved_with_the_tracking_number():
    answer = answer_of(approve("AUTH-1"))
    assert (answer.outcome, answer.tracking_number) == ("approved", "AUTH-1")
    assert [i.action for i in answer.items] == ["A1", "A1"]


def test_not_certified_is_denied_with_the_payers_reason():
    answer = answer_of(deny("NMN", "Not medically necessary."))
    assert (answer.outcome, answer.reason_code, answer.reason_text) == (
        "denied",
        "NMN",
        "Not medically necessary.",
    )


@pytest.mark.parametrize(
    ("per_item", "outcome"),
    [({1: "A1", 2: "A3"}, "partial"), ({1: "A1", 2: "A4"}, "pended"), ({1: "A6"}, "partial")],
)
def test_mixed_items(per_item, outcome):
    assert answer_of(partial(per_item), sequences=tuple(per_item)).outcome == outcome


def test_pended_and_a_bare_claim_response_without_review_actions():
    assert answer_of(pend("TRK-1")).outcome == "pended"
    bundle = _claim_response(approve(), "x", [])
    response = copy.deepcopy(bundle["entry"][0]["resource"])
    response["outcome"] = "queued"
    assert read_answer(response).outcome == "pended"


def test_unreadable_answers_are_refused_without_quoting_them():
    for body in (["not", "a", "resource"], {"resourceType": "OperationOutcome"}):
        with pytest.raises(AnswerInvalid):
            read_answer(body)
    bundle = _claim_response(approve(), "x", [1])
    bogus = bundle["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"][0]
    bogus["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "Z9"
    with pytest.raises(AnswerInvalid) as refused:
        read_answer(bundle)
    assert "Z9" not in refused.value.message
