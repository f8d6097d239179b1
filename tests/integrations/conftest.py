"""Fixtures of the outbox and webhook tests: a loopback receiver, endpoints, helpers."""

import re
from pathlib import Path

import pytest

from tests.integrations.receiver import Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    return settings


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def documented_verify():
    """The `verify_countersign_signature` function exactly as docs/webhooks.md prints it."""
    text = DOCS.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (code,) = [block for block in blocks if "def verify_countersign_signature" in block]
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_countersign_signature"]
