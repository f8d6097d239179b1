"""Fixtures the channel tests share with the notifications and ERP tests."""

from tests.integrations.erp.conftest import fake_erp  # noqa: F401
from tests.notifications.fixtures import eager_celery, smtp_server  # noqa: F401
