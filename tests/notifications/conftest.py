from tests.notifications.fixtures import eager_celery, smtp_server  # noqa: F401
