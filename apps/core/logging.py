"""Logging filter that stamps every record with the tenant schema and the request id."""

import logging

from django.db import connection

from apps.core.context import request_id_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = getattr(connection, "schema_name", "-")
        return True
