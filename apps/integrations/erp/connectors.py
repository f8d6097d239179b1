"""Which connector class serves a connection's kind."""

from __future__ import annotations

from apps.integrations.erp.base import Connector, PermanentError
from apps.integrations.erp.choices import ConnectorKind
from apps.integrations.erp.models import ErpConnection


def connector_for(connection: ErpConnection) -> Connector:
    if connection.kind == ConnectorKind.GENERIC_REST:
        from apps.integrations.erp.generic_rest import GenericRestConnector

        return GenericRestConnector(connection)
    raise PermanentError(f"No connector for kind {connection.kind!r}.")
