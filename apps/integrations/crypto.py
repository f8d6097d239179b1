"""Secrets at rest (webhook signing keys, connector credentials): Fernet with key rotation.

`SECRETS_ENCRYPTION_KEYS` holds comma-separated Fernet keys; the first encrypts and every one
decrypts, so rotation is: put the new key first, run `manage.py secrets_rotate`, drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "encrypted_fields", "register", "rotate"]

# (app_label.Model, field name) of every column holding a Fernet token; `secrets_rotate`
# re-encrypts them all. Apps with secrets add theirs in AppConfig.ready().
_encrypted_fields: list[tuple[str, str]] = [("integrations.WebhookEndpoint", "secret_encrypted")]


def register(model_label: str, field_name: str) -> None:
    if (model_label, field_name) not in _encrypted_fields:
        _encrypted_fields.append((model_label, field_name))


def encrypted_fields() -> list[tuple[str, str]]:
    return list(_encrypted_fields)


def _keys() -> list[str]:
    raw = settings.SECRETS_ENCRYPTION_KEYS
    keys = [k.strip() for k in (raw.split(",") if isinstance(raw, str) else raw) if k.strip()]
    if not keys:
        raise ImproperlyConfigured("Set SECRETS_ENCRYPTION_KEYS (comma-separated Fernet keys).")
    return keys


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as error:
        message = f"SECRETS_ENCRYPTION_KEYS holds an invalid key: {error}"
        raise ImproperlyConfigured(message) from None


def encrypt(plaintext: str) -> str:
    """A Fernet token (URL-safe text) for `plaintext`, under the first key."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of `token`; raises `InvalidToken` if no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """`token` re-encrypted under the first key (keeps its original timestamp)."""
    return _fernet().rotate(token.encode()).decode()
