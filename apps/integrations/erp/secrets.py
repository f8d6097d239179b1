"""Secrets at rest (connector tokens, callback keys) encrypted with MultiFernet over
settings.SECRETS_ENCRYPTION_KEYS: the first key encrypts, every key decrypts (rotation)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    keys = [key for key in settings.SECRETS_ENCRYPTION_KEYS if key]
    if not keys:
        raise ImproperlyConfigured("Set SECRETS_ENCRYPTION_KEYS to encrypt connector secrets.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with the keys set."
        ) from None
