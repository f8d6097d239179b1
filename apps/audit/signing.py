"""The Ed25519 keys that sign audit checkpoints. They never live in the database.

`AUDIT_SIGNING_KEY` (base64 of the raw 32-byte private key) signs; its public key and those in
`AUDIT_VERIFY_KEYS` (base64 raw public keys, kept after a rotation) verify. Each key is named by
its key id, the first 16 hex digits of the SHA-256 of the raw public key. Without
`AUDIT_SIGNING_KEY` (development and tests; production settings refuse to start) a key is
generated once into `AUDIT_SIGNING_KEY_FILE` under var/ and reused by every process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _decode(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not base64.") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes (a raw Ed25519 key), base64.")
    return raw


def private_key_encode(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def public_key_encode(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def signing_key() -> Ed25519PrivateKey:
    configured = str(getattr(settings, "AUDIT_SIGNING_KEY", "") or "")
    if configured:
        return Ed25519PrivateKey.from_private_bytes(_decode(configured, "AUDIT_SIGNING_KEY"))
    return _development_key(Path(settings.AUDIT_SIGNING_KEY_FILE))


def _development_key(path: Path) -> Ed25519PrivateKey:
    """Read the generated key, or generate it: written to a private temporary file and linked
    into place, so concurrent first runs (web, worker, tests) all end up with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(private_key_encode(Ed25519PrivateKey.generate()) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            temporary.unlink()
    raw = _decode(path.read_text(), str(path))
    return Ed25519PrivateKey.from_private_bytes(raw)


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """The accepted public keys by key id: the signing key's and every AUDIT_VERIFY_KEYS one."""
    current = signing_key().public_key()
    keys = {key_id(current): current}
    for value in getattr(settings, "AUDIT_VERIFY_KEYS", []) or []:
        public = Ed25519PublicKey.from_public_bytes(_decode(value, "AUDIT_VERIFY_KEYS"))
        keys[key_id(public)] = public
    return keys


def signing_key_id() -> str:
    return key_id(signing_key().public_key())


def sign(message: bytes) -> str:
    """The base64 Ed25519 signature of `message` with the current signing key."""
    return base64.b64encode(signing_key().sign(message)).decode()


def signature_valid(message: bytes, *, signed_by: str, signature: str) -> bool | None:
    """True or False; None when `signed_by` is not an accepted key."""
    public = verify_keys().get(signed_by)
    if public is None:
        return None
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
