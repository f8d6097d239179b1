"""The ERP connector goes through the one HTTP transport: an address on loopback, the cloud
metadata range or a private network is refused before any connection unless
ERP_ALLOW_PRIVATE_HOSTS is on, and the refusal is a permanent error (not retried)."""

import pytest

from apps.integrations.erp.base import PermanentError, PrivateHostRefused, Transport
from apps.integrations.erp.generic_rest.connector import GenericRestConnector

PAYLOAD = {"amount": "10.00", "costCenter": "CC-1"}
PRIVATE = [
    "http://127.0.0.1:9",
    "http://169.254.169.254",
    "http://10.1.2.3",
    "http://192.168.0.10:8080",
    "http://172.16.5.5",
    "http://[::1]:9",
    "http://localhost:9",
]


@pytest.mark.parametrize("base_url", PRIVATE)
def test_private_addresses_are_refused_by_default(settings, base_url):
    settings.ERP_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(PrivateHostRefused, match="ERP_ALLOW_PRIVATE_HOSTS") as refused:
        Transport(base_url, headers={}, timeout=1).request("GET", "/requisitions")
    assert isinstance(refused.value, PermanentError)
    assert refused.value.retry is False


def test_the_connector_refuses_the_fake_erp_on_loopback_unless_allowed(
    settings, erp_connection, fake_erp
):
    settings.ERP_ALLOW_PRIVATE_HOSTS = False
    connector = GenericRestConnector(erp_connection)
    with pytest.raises(PrivateHostRefused):
        connector.check_budget(payload=PAYLOAD, idempotency_key="k-1")
    assert fake_erp.calls() == []  # refused before connecting

    settings.ERP_ALLOW_PRIVATE_HOSTS = True
    fake_erp.set_budget("CC-1", "100.00")
    result = connector.check_budget(payload=PAYLOAD, idempotency_key="k-2")
    assert result.available is True
    assert len(fake_erp.calls("/budgets/check")) == 1
