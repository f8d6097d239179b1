"""The Countersign-Signature header and the verification snippet printed in docs/webhooks.md."""

import re
import time

from apps.integrations.webhooks import signing
from tests.integrations.conftest import documented_verify

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","type":"request.approved"}'


def test_header_format_is_t_and_v1_hex():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", header)


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header.endswith(f"v1={expected}")


def test_documented_snippet_accepts_a_fresh_signature():
    verify = documented_verify()
    assert verify(SECRET, BODY, signing.sign(SECRET, BODY))
    assert signing.verify(SECRET, BODY, signing.sign(SECRET, BODY))


def test_tampered_body_fails():
    verify = documented_verify()
    header = signing.sign(SECRET, BODY)
    tampered = BODY.replace(b"approved", b"denied")
    assert not verify(SECRET, tampered, header)
    assert not signing.verify(SECRET, tampered, header)


def test_wrong_secret_fails():
    header = signing.sign("whsec_other", BODY)
    assert not documented_verify()(SECRET, BODY, header)
    assert not signing.verify(SECRET, BODY, header)


def test_timestamp_older_than_five_minutes_fails():
    verify = documented_verify()
    old = int(time.time()) - 301
    header = signing.sign(SECRET, BODY, timestamp=old)
    assert not verify(SECRET, BODY, header)
    assert not signing.verify(SECRET, BODY, header)
    recent = signing.sign(SECRET, BODY, timestamp=int(time.time()) - 290)
    assert verify(SECRET, BODY, recent)


def test_timestamp_cannot_be_swapped_without_breaking_the_signature():
    header = signing.sign(SECRET, BODY, timestamp=int(time.time()) - 1000)
    forged = re.sub(r"t=\d+", f"t={int(time.time())}", header)
    assert not documented_verify()(SECRET, BODY, forged)
    assert not signing.verify(SECRET, BODY, forged)


def test_malformed_headers_fail():
    verify = documented_verify()
    for header in ("", "v1=abc", "t=notanumber,v1=abc", "garbage"):
        assert not verify(SECRET, BODY, header)
        assert not signing.verify(SECRET, BODY, header)


def test_any_of_several_v1_values_may_match():
    stamp = int(time.time())
    good = signing.signature(SECRET, stamp, BODY)
    header = f"t={stamp},v1={'0' * 64},v1={good}"
    assert documented_verify()(SECRET, BODY, header)
    assert signing.verify(SECRET, BODY, header)
