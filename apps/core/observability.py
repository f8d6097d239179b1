"""Structured JSON logs and Prometheus metrics, without patient data.

Logs: ``JsonFormatter`` writes one JSON object per line with the time, level, logger, message,
tenant schema and request id (added by ``apps.core.logging.RequestContextFilter``) plus a short
whitelist of extra fields. A record carries only what the code logged: request paths, query
strings, form data and headers are never added here. ``configure_logging`` switches a settings
``LOGGING`` dict to JSON when ``LOG_FORMAT=json``.

Metrics: ``MetricsMiddleware`` counts requests by view name, method and status and times them;
``render_metrics`` adds gauges read at scrape time from cheap public-schema queries (timer lag,
SLA breaches from ``TenantHealth``) and Redis (Celery queue depth). With ``prometheus-client``
installed its registry does the work (and its multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR``
is set, for gunicorn with several workers); without it a tiny built-in writer produces the same
text exposition format (version 0.0.4), counting per process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

try:  # optional dependency: the built-in writer below is used without it
    import prometheus_client
except ImportError:  # pragma: no cover - depends on the environment
    prometheus_client = None  # type: ignore[assignment]  # checked before every use

logger = logging.getLogger("countersign.request")

# --- JSON logs ------------------------------------------------------------------------------------

# Extra attributes copied into the JSON line when a record has them (``logger.info(..., extra=)``).
# Keep this list to ids, counts and codes: never names, free text or form answers.
JSON_EXTRA_FIELDS = (
    "method",
    "view",
    "status",
    "duration_ms",
    "task_id",
    "task_name",
    "object_kind",
    "object_id",
    "event",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, tenant, request_id (+ whitelisted
    extras, + exc_type/exc for exceptions)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "tenant", "-"),
            "request_id": getattr(record, "request_id", "-"),
        }
        for field in JSON_EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                payload[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exc_type"] = record.exc_info[0].__name__
            # `exc_text` when set: SecretRedactionFilter leaves the redacted traceback there.
            payload["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(logging_dict: dict[str, Any], log_format: str) -> dict[str, Any]:
    """Point the console handler of a settings LOGGING dict at the JSON or plain formatter."""
    log_format = (log_format or "plain").strip().lower()
    if log_format not in {"json", "plain"}:
        raise ValueError(f'LOG_FORMAT must be "json" or "plain", not "{log_format}".')
    logging_dict.setdefault("formatters", {})["json"] = {
        "()": "apps.core.observability.JsonFormatter"
    }
    logging_dict["handlers"]["console"]["formatter"] = log_format
    logging_dict.setdefault("loggers", {})["countersign.request"] = {"level": "INFO"}
    return logging_dict


# --- metrics: the built-in writer -----------------------------------------------------------------

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Iterable[str], values: Iterable[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(str(v))}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Counter:
    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, labels: tuple[str, ...], amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def expose(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.documentation}", f"# TYPE {self.name} counter"]
        with self._lock:
            for labels, value in sorted(self._values.items()):
                lines.append(f"{self.name}{_labels(self.labelnames, labels)} {_number(value)}")
        return lines


class _Histogram:
    def __init__(
        self, name: str, documentation: str, labelnames: tuple[str, ...], buckets: tuple[float, ...]
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.buckets = (*buckets, math.inf)
        self._values: dict[tuple[str, ...], list[float]] = {}  # bucket counts..., sum
        self._lock = threading.Lock()

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        with self._lock:
            row = self._values.setdefault(labels, [0.0] * (len(self.buckets) + 1))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    row[i] += 1
            row[-1] += value

    def expose(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.documentation}", f"# TYPE {self.name} histogram"]
        with self._lock:
            for labels, row in sorted(self._values.items()):
                for bound, count in zip(self.buckets, row, strict=False):
                    le = f'le="{_number(bound)}"'
                    lines.append(
                        f"{self.name}_bucket{_labels(self.labelnames, labels, le)} {_number(count)}"
                    )
                base = _labels(self.labelnames, labels)
                lines.append(f"{self.name}_count{base} {_number(row[len(self.buckets) - 1])}")
                lines.append(f"{self.name}_sum{base} {_number(row[-1])}")
        return lines


def _gauge_lines(name: str, documentation: str, value: float | None) -> list[str]:
    lines = [f"# HELP {name} {documentation}", f"# TYPE {name} gauge"]
    if value is not None:
        lines.append(f"{name} {_number(value)}")
    return lines


REQUEST_LABELS = ("view", "method", "status")
LATENCY_LABELS = ("view", "method")

if prometheus_client is not None:  # pragma: no cover - depends on the environment
    # Our own registry: only countersign_* series, including the process's memory and CPU
    # (countersign_process_resident_memory_bytes) rather than the library's global defaults.
    _PROM_REGISTRY = prometheus_client.CollectorRegistry()
    prometheus_client.ProcessCollector(namespace="countersign", registry=_PROM_REGISTRY)
    _PROM_REQUESTS = prometheus_client.Counter(
        "countersign_http_requests",
        "HTTP requests by view, method and status.",
        REQUEST_LABELS,
        registry=_PROM_REGISTRY,
    )
    _PROM_LATENCY = prometheus_client.Histogram(
        "countersign_http_request_duration_seconds",
        "Time to answer an HTTP request, by view and method.",
        LATENCY_LABELS,
        buckets=LATENCY_BUCKETS,
        registry=_PROM_REGISTRY,
    )
else:
    _REQUESTS = _Counter(
        "countersign_http_requests_total",
        "HTTP requests by view, method and status.",
        REQUEST_LABELS,
    )
    _LATENCY = _Histogram(
        "countersign_http_request_duration_seconds",
        "Time to answer an HTTP request, by view and method.",
        LATENCY_LABELS,
        LATENCY_BUCKETS,
    )


def backend_name() -> str:
    return "prometheus_client" if prometheus_client is not None else "builtin"


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    if prometheus_client is not None:  # pragma: no cover
        _PROM_REQUESTS.labels(view, method, str(status)).inc()
        _PROM_LATENCY.labels(view, method).observe(seconds)
    else:
        _REQUESTS.inc((view, method, str(status)))
        _LATENCY.observe((view, method), seconds)


_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Counts and times every request by view name (never by path: paths carry ids and the
    label set must stay small) and writes one access log line without paths or query strings.

    Place it right after RequestIdMiddleware so the log line carries the request id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else "") or "unmatched"
        method = request.method if request.method in _KNOWN_METHODS else "OTHER"
        request_observe(view=view, method=method, status=response.status_code, seconds=seconds)
        if view not in {"healthz", "readyz", "metrics"}:
            logger.info(
                "%s %s %s",
                method,
                view,
                response.status_code,
                extra={
                    "method": method,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return response


# --- scrape-time gauges ---------------------------------------------------------------------------


def celery_queue_depth() -> int | None:
    """LLEN of the default Celery queue in Redis (None when Redis cannot be reached)."""
    from django.conf import settings

    from config.celery import app

    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"
    try:
        with app.connection_for_read() as conn:
            return int(conn.default_channel.client.llen(queue))
    except Exception:  # a scrape must not fail because Redis is down
        logging.getLogger(__name__).warning("metrics: Celery queue depth unavailable")
        return None


def timer_lag_seconds() -> tuple[float, int]:
    """Age of the oldest due, unfired timer (0 when none) and how many are due."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from apps.timers.models import Timer

    now = timezone.now()
    row = Timer.objects.filter(fired_at__isnull=True, fire_at__lte=now).aggregate(
        oldest=Min("fire_at"), due=Count("id")
    )
    lag = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return max(lag, 0.0), int(row["due"])


def tenant_health_totals() -> dict[str, int]:
    """Sums over TenantHealth (refreshed by a beat task), so a scrape is one small query."""
    from django.db.models import Sum

    from apps.tenants.models import TenantHealth

    row = TenantHealth.objects.aggregate(
        sla=Sum("sla_breaches"), exceptions=Sum("exception_queue"), open=Sum("open_requests")
    )
    return {key: int(value or 0) for key, value in row.items()}


def schema_pool_ready() -> int:
    """Pool schemas a tenant creation can claim now (of the template's current version)."""
    from apps.tenants.models import PooledSchema
    from apps.tenants.schema_pool import template_version

    version = template_version()
    if version is None:
        return 0
    return PooledSchema.objects.filter(template_version=version).count()


def tenants_by_status() -> dict[str, int]:
    from django.db.models import Count

    from apps.tenants.models import Tenant

    rows = Tenant.objects.exclude(schema_name="public").values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _degraded_lines() -> list[str]:
    from apps.core.degraded import degraded_counts

    name = "countersign_degraded_total"
    lines = [
        f"# HELP {name} Requests answered without a part that was down (e.g. the Redis cache).",
        f"# TYPE {name} counter",
    ]
    for part, count in sorted(degraded_counts().items()):
        lines.append(f"{name}{_labels(('part',), (part,))} {count}")
    return lines


def _scrape_gauges() -> list[str]:
    from django.db import connection

    from apps.core.postgres.clusters import public_activated

    lines: list[str] = _degraded_lines()
    depth = celery_queue_depth()
    lines += _gauge_lines(
        "countersign_celery_queue_depth", "Messages waiting in the default Celery queue.", depth
    )
    try:
        with public_activated():
            lag, due = timer_lag_seconds()
            health = tenant_health_totals()
            statuses = tenants_by_status()
            pool = schema_pool_ready()
    except Exception:  # the request metrics still render
        logging.getLogger(__name__).warning("metrics: database gauges unavailable")
        connection.close_if_unusable_or_obsolete()
        lines += _gauge_lines("countersign_metrics_database_up", "Database gauges read.", 0)
        return lines
    lines += _gauge_lines("countersign_metrics_database_up", "Database gauges read.", 1)
    lines += _gauge_lines(
        "countersign_timer_lag_seconds",
        "Age of the oldest due timer that has not fired (0 when none is due).",
        lag,
    )
    lines += _gauge_lines("countersign_timers_due", "Due timers that have not fired yet.", due)
    lines += _gauge_lines(
        "countersign_sla_breaches",
        "Open SLA breaches summed over tenants (TenantHealth, refreshed by beat).",
        health["sla"],
    )
    lines += _gauge_lines(
        "countersign_exception_queue",
        "Requests in tenants' exception queues (TenantHealth, refreshed by beat).",
        health["exceptions"],
    )
    lines += _gauge_lines(
        "countersign_open_requests",
        "Open requests summed over tenants (TenantHealth, refreshed by beat).",
        health["open"],
    )
    lines += _gauge_lines(
        "countersign_tenant_schema_pool_ready",
        "Ready schemas a tenant creation can take (0: creations clone the template, ~1-8 s).",
        pool,
    )
    lines.append("# HELP countersign_tenants Tenants by status.")
    lines.append("# TYPE countersign_tenants gauge")
    for status, count in sorted(statuses.items()):
        lines.append(f'countersign_tenants{{status="{_escape(status)}"}} {count}')
    return lines


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render_metrics() -> str:
    """The whole exposition: request counters and latency, then the scrape-time gauges."""
    if prometheus_client is not None:  # pragma: no cover
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = prometheus_client.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client
        else:
            registry = _PROM_REGISTRY
        head = prometheus_client.generate_latest(registry).decode().rstrip("\n").split("\n")
    else:
        head = _REQUESTS.expose() + _LATENCY.expose()
    return "\n".join(head + _scrape_gauges()) + "\n"
