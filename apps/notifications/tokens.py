"""Action-link tokens: 160 random bits plus a keyed check, so a damaged link is told apart
from one we never issued. Only the SHA-256 of the whole token is stored."""

import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

_SALT = "countersign.notifications.action-link"
_BODY_LENGTH = 27  # secrets.token_urlsafe(20): 160 bits
_CHECK_LENGTH = 16


def _check(body: str) -> str:
    return salted_hmac(_SALT, body, algorithm="sha256").hexdigest()[:_CHECK_LENGTH]


def new_token() -> str:
    body = secrets.token_urlsafe(20)
    return body + _check(body)


def is_well_formed(token: str) -> bool:
    """False for a token that was altered (or cut short) after we issued it."""
    if len(token) != _BODY_LENGTH + _CHECK_LENGTH:
        return False
    body, check = token[:_BODY_LENGTH], token[_BODY_LENGTH:]
    return hmac.compare_digest(check, _check(body))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
