import pytest

from tests.notifications.fixtures import eager_celery, smtp_server  # noqa: F401


@pytest.fixture(autouse=True)
def _only_the_notifications_effect_handler(monkeypatch):
    """Other apps' effect handlers are being built alongside this one (several engineers in one
    tree); these tests exercise the notifications handler on its own so that a half-finished
    neighbour cannot fail them."""
    from apps.approvals import effects

    monkeypatch.setattr(
        effects, "_handlers", [(n, h) for n, h in effects._handlers if n == "notifications"]
    )
