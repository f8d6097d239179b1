"""Secrets in logs: each kind of token and key made by the real code is redacted, the filter
rewrites messages, extras and tracebacks, and every handler of LOGGING carries it."""

import logging

from django.conf import settings
from django.core import signing

from apps.core.redaction import (
    REDACTED,
    SecretRedactionFilter,
    install_record_redaction,
    redact,
    secrets_in,
)
from apps.notifications import tokens


def _is_redacted(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert REDACTED in redacted
    assert secrets_in(text), "the sweep must see the secret"
    assert secrets_in(redacted) == []
    assert redact(redacted) == redacted


def test_action_link_paths_and_next_targets():
    token = tokens.new_token()
    for text in (
        f"Forbidden: /a/{token}",
        f"https://alpha.localhost/a/{token}",
        f'"GET /login/?next=/a/{token} HTTP/1.1" 200 1234',
        f"/login/?next=%2Fa%2F{token}&other=1",
    ):
        _is_redacted(text, token)
    assert redact(f"Forbidden: /a/{token}") == f"Forbidden: /a/{REDACTED}"
    # A damaged or guessed token is still a secret-shaped path: it goes too.
    assert redact("Not Found: /a/x-y_z") == f"Not Found: /a/{REDACTED}"


def test_invitation_tokens(in_tenant_a, alice):
    from apps.accounts.invitations import invitation_token

    token = invitation_token(alice)
    _is_redacted(f"Not Found: /invitations/{token}/", token)
    _is_redacted(f"/login/?next=/invitations/{token}/", token)
    _is_redacted(f"invitation {token} sent", token)  # its format anywhere


def test_support_entry_tokens():
    from apps.tenants.support import ENTRY_SALT

    token = signing.TimestampSigner(salt=ENTRY_SALT).sign_object({"g": 7, "n": "nonce"})
    _is_redacted(f"GET /support/enter/{token}/", token)
    _is_redacted(f"entry {token}", token)


def test_tenant_and_partner_api_keys(in_tenant_a, alice):
    from apps.api.services import api_key_create

    key, raw = api_key_create(actor=alice, name="ERP", scopes=["requests:read"])
    _is_redacted(f"bad key {raw}", raw)
    # The public prefix stays: the line still says which key it was.
    assert redact(raw) == f"cs_live_{key.prefix}_{REDACTED}"
    partner_raw = "csp_0a1b2c3d_" + "S3cr3t-_" * 5
    _is_redacted(f"partner key {partner_raw}", partner_raw)
    assert redact(partner_raw) == f"csp_0a1b2c3d_{REDACTED}"


def test_webhook_secrets_and_bearer_credentials():
    from apps.integrations.webhooks.services import new_secret

    secret = new_secret()
    _is_redacted(f"endpoint secret {secret}", secret)
    assert redact("Authorization: Bearer abc.def-123") == f"Authorization: Bearer {REDACTED}"
    # A help text naming the header is no leak.
    assert secrets_in("Send the key as `Authorization: Bearer <key>`.") == []


def test_ordinary_lines_are_left_alone():
    for text in (
        "GET /requests/CAP-2026-0001/ 200",
        "Task apps.notifications.tasks.send_email[1f0e] succeeded in 0.01s: None",
        "n/a",
        "sha256:" + "0" * 64,
    ):
        assert redact(text) == text
        assert secrets_in(text) == []


def _record(msg, *args, **extra):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_filter_rewrites_message_args_extras_and_traceback():
    token = tokens.new_token()
    record = _record("%s: %s", "Forbidden", f"/a/{token}", path=f"/a/{token}", status_code=403)
    try:
        raise ValueError(f"no link /a/{token}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert SecretRedactionFilter().filter(record) is True
    line = logging.Formatter("%(message)s %(path)s").format(record)
    assert token not in line
    assert line.startswith(f"Forbidden: /a/{REDACTED} /a/{REDACTED}")
    assert f"no link /a/{REDACTED}" in line
    assert record.status_code == 403


def test_filter_keeps_args_when_nothing_is_secret():
    record = _record("%s requests", 3)
    SecretRedactionFilter().filter(record)
    assert (record.msg, record.args) == ("%s requests", (3,))


def test_records_are_made_redacted(caplog):
    """The record factory (CoreConfig.ready) redacts before any handler, pytest's included."""
    install_record_redaction()  # idempotent: already done at start-up
    token = tokens.new_token()
    with caplog.at_level(logging.INFO, logger="countersign.test"):
        logging.getLogger("countersign.test").info("opened %s", f"/a/{token}")
    assert token not in caplog.text
    assert f"opened /a/{REDACTED}" in caplog.text


def test_every_configured_handler_redacts():
    """Root, `django` and `django.server`: no handler a record can reach skips the filter."""
    assert "redact_secrets" in settings.LOGGING["filters"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_secrets" in handler.get("filters", []), name
    for name in ("", "django", "django.request", "django.server", "countersign.request"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue
                if type(handler).__name__ == "SweepHandler":
                    continue
                kinds = {type(f) for f in handler.filters}
                assert SecretRedactionFilter in kinds, (name, handler)
            logger = logger.parent if logger.propagate else None
