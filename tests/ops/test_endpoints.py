"""/readyz, /metrics and JSON request logs (no PHI in log lines)."""

import json
import logging

import pytest
from django.conf import settings
from django.test import override_settings

from apps.core import views
from apps.core.logging import RequestContextFilter
from apps.core.observability import JsonFormatter, configure_logging

METRICS_MIDDLEWARE = "apps.core.observability.MetricsMiddleware"


def _with_metrics_middleware() -> list[str]:
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(1, METRICS_MIDDLEWARE)
    return middleware


@pytest.mark.django_db
class TestReadyz:
    def test_ready_on_root_and_tenant_hosts(self, client_public, client_a):
        for client in (client_public, client_a):
            response = client.get("/readyz")
            assert response.status_code == 200, response.content
            body = response.json()
            assert body == {
                "status": "ok",
                "database": "ok",
                "redis": "ok",
                "migrations": "ok",
                "template_schema": "ok",
            }
            assert "no-cache" in response["Cache-Control"]

    @override_settings(TENANT_BASE_SCHEMA="tenant_template_missing")
    def test_missing_template_schema_is_503_with_reason(self, client_public):
        response = client_public.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "error"
        assert body["template_schema"] == "error: schema tenant_template_missing is missing"
        assert body["database"] == "ok"

    def test_unapplied_migration_is_503(self, client_public, monkeypatch):
        monkeypatch.setattr(views, "_migrations_ok_at", None)
        monkeypatch.setattr(views, "_public_migrations_pending", lambda: ["timers.0099_future"])
        response = client_public.get("/readyz")
        assert response.status_code == 503
        assert response.json()["migrations"] == "error: 1 unapplied, e.g. timers.0099_future"

    def test_migration_check_really_reads_public_schema(self, client_a, monkeypatch):
        monkeypatch.setattr(views, "_migrations_ok_at", None)
        assert views._public_migrations_pending() == []


@pytest.mark.django_db
class TestMetrics:
    @override_settings(METRICS_TOKEN="", DEBUG=False)
    def test_absent_without_token(self, client_public):
        assert client_public.get("/metrics").status_code == 404

    @override_settings(METRICS_TOKEN="s3cret-metrics-token")
    def test_token_required(self, client_public):
        assert client_public.get("/metrics").status_code == 401
        wrong = client_public.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
        assert wrong.status_code == 401
        assert wrong["WWW-Authenticate"].startswith("Bearer")

    def test_text_format_counts_requests_by_view(self, client_public, client_a):
        with override_settings(
            METRICS_TOKEN="s3cret-metrics-token", MIDDLEWARE=_with_metrics_middleware()
        ):
            client_a.get("/login/")
            client_public.get("/healthz")
            response = client_public.get(
                "/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token"
            )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.content.decode()
        lines = text.splitlines()
        # Every sample line is "name{labels} value" with a float value; every family has TYPE.
        for line in lines:
            if line.startswith("#"):
                assert line.split()[1] in {"HELP", "TYPE"}
                continue
            name_and_labels, value = line.rsplit(" ", 1)
            float(value.replace("+Inf", "inf"))
            assert name_and_labels.startswith("countersign_")
        assert any(
            line.startswith("countersign_http_requests")
            and 'view="login"' in line
            and 'status="200"' in line
            for line in lines
        ), text
        assert any(
            line.startswith("countersign_http_request_duration_seconds_bucket")
            and 'le="+Inf"' in line
            for line in lines
        )
        for gauge in (
            "countersign_celery_queue_depth",
            "countersign_timer_lag_seconds",
            "countersign_timers_due",
            "countersign_sla_breaches",
            "countersign_exception_queue",
            "countersign_tenant_schema_pool_ready",
        ):
            assert f"# TYPE {gauge} gauge" in text
            assert any(line.startswith(gauge + " ") for line in lines), gauge
        assert 'countersign_tenants{status="active"}' in text
        # Paths and ids never become labels.
        assert "/login/" not in text

    def test_timer_lag_reads_oldest_due_unfired_timer(self, db):
        from datetime import timedelta

        from django.utils import timezone

        from apps.core.observability import timer_lag_seconds
        from apps.timers.models import Timer

        now = timezone.now()
        Timer.objects.create(
            schema_name="alpha", object_kind="sla_clock", object_id=1, kind="breach",
            fire_at=now - timedelta(minutes=10),
        )  # fmt: skip
        Timer.objects.create(
            schema_name="alpha", object_kind="sla_clock", object_id=2, kind="breach",
            fire_at=now - timedelta(hours=2), fired_at=now,
        )  # fmt: skip
        Timer.objects.create(
            schema_name="alpha", object_kind="sla_clock", object_id=3, kind="breach",
            fire_at=now + timedelta(hours=1),
        )  # fmt: skip
        lag, due = timer_lag_seconds()
        assert 590 <= lag <= 700
        assert due >= 1


def test_the_pool_gauge_counts_only_claimable_schemas(db):
    from apps.core.observability import schema_pool_ready
    from apps.tenants.models import PooledSchema
    from apps.tenants.schema_pool import template_version

    before = schema_pool_ready()
    PooledSchema.objects.create(
        schema_name="pool_gauge_current", template_version=template_version()
    )
    PooledSchema.objects.create(schema_name="pool_gauge_stale", template_version="0" * 64)
    assert schema_pool_ready() == before + 1


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.django_db
def test_request_log_line_is_json_with_tenant_and_request_id_and_no_phi(client_a):
    handler = _Capture()
    request_logger = logging.getLogger("countersign.request")
    request_logger.addHandler(handler)
    old_level = request_logger.level
    request_logger.setLevel(logging.INFO)
    try:
        with override_settings(MIDDLEWARE=_with_metrics_middleware()):
            response = client_a.post(
                "/login/?q=Jane+Doe+1970-01-01",
                {"username": "carol@alpha.test", "password": "Jane Doe M54.5"},
                HTTP_X_REQUEST_ID="req-ops-test-0001",
            )
    finally:
        request_logger.removeHandler(handler)
        request_logger.setLevel(old_level)
    assert response["X-Request-ID"] == "req-ops-test-0001"
    assert handler.lines, "no request log line"
    record = json.loads(handler.lines[-1])
    assert record["request_id"] == "req-ops-test-0001"
    assert record["tenant"] == "alpha"
    assert record["view"] == "login"
    assert record["method"] == "POST"
    assert record["status"] == response.status_code
    assert isinstance(record["duration_ms"], float)
    assert {"ts", "level", "logger", "message"} <= record.keys()
    line = handler.lines[-1]
    for secret in ("Jane", "1970", "M54.5", "carol@alpha.test", "/login/", "q="):
        assert secret not in line


def test_json_formatter_exception_and_configure_logging():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", ("now",), None)
    try:
        raise ValueError("kaput")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "boom now"
    assert data["exc_type"] == "ValueError"
    assert data["tenant"] == "-"
    assert data["request_id"] == "-"

    conf = {"formatters": {"plain": {}}, "handlers": {"console": {"formatter": "plain"}}}
    assert configure_logging(conf, "json")["handlers"]["console"]["formatter"] == "json"
    assert configure_logging(conf, "plain")["handlers"]["console"]["formatter"] == "plain"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configure_logging(conf, "xml")
