"""Errors of the payer services: the core error family with this domain's codes."""

from __future__ import annotations

from enum import StrEnum

from apps.core.errors import CountersignError, InvalidInput, NotAllowed, NotFound


class PayerErrorCode(StrEnum):
    PAYER_INVALID = "payer_invalid"
    PAYER_NAME_TAKEN = "payer_name_taken"
    PAYER_UNKNOWN = "payer_unknown"
    SUBMISSION_NOT_RETRYABLE = "submission_not_retryable"
    CLAIM_INVALID = "claim_invalid"
    ANSWER_INVALID = "answer_invalid"


class PayerInvalid(InvalidInput):
    code = PayerErrorCode.PAYER_INVALID


class PayerUnknown(NotFound):
    code = PayerErrorCode.PAYER_UNKNOWN


class ClaimInvalid(InvalidInput):
    """The request cannot be written as a valid PAS Claim bundle (says which part)."""

    code = PayerErrorCode.CLAIM_INVALID


class AnswerInvalid(CountersignError):
    """The payer's reply is not a ClaimResponse we can read (the message never quotes it)."""

    code = PayerErrorCode.ANSWER_INVALID
    http_status = 502


__all__ = [
    "AnswerInvalid",
    "ClaimInvalid",
    "NotAllowed",
    "PayerErrorCode",
    "PayerInvalid",
    "PayerUnknown",
]
