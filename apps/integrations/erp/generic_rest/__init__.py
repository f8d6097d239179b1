"""A generic REST ERP: POST budget checks and requisitions as mapped JSON, look requisitions up
by idempotency key."""

from apps.integrations.erp.generic_rest.connector import GenericRestConnector

__all__ = ["GenericRestConnector"]
