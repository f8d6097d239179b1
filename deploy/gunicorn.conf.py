"""gunicorn settings for the Countersign web process (read from GUNICORN_* variables).

Only synchronous workers: ``sync`` or ``gthread`` (the default). django-tenants keeps the current
tenant on the database connection (``search_path``); async workers (gevent, eventlet, uvicorn)
share a connection between requests and would serve one tenant's data under another's host.
"""

import contextlib
import multiprocessing
import os

_ALLOWED_WORKER_CLASSES = {"sync", "gthread"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a whole number.") from None


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread").strip()
if worker_class not in _ALLOWED_WORKER_CLASSES:
    raise SystemExit(
        f"GUNICORN_WORKER_CLASS={worker_class!r}: use sync or gthread; async workers lose the "
        "tenant that django-tenants keeps on the database connection."
    )
# Per container: a few processes, each with a few threads (each thread holds its own DB
# connection, so workers * threads * replicas must fit PgBouncer's pool; see docs/scaling.md).
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 5))
threads = _int("GUNICORN_THREADS", 4) if worker_class == "gthread" else 1
timeout = _int("GUNICORN_TIMEOUT", 60)  # PDF packets are the slowest pages
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (slow leaks in PDF rendering libraries) -- but not gthread workers
# by default: a gthread worker that restarts after max_requests still accepts on its keep-alive
# connections while it shuts down and resets them (gunicorn issue #3038, unfixed), which measured
# as ~0.05 % of API requests answered by a TCP reset. gthread processes are recycled by the
# platform instead (container memory limits, rolling restarts); set GUNICORN_MAX_REQUESTS to
# force recycling anyway.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0 if worker_class == "gthread" else 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Heartbeat files in memory, not on a possibly slow overlay filesystem.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm")  # noqa: S108
# The reverse proxy (Caddy / ingress) sets X-Forwarded-Proto; trust it from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
# Django's MetricsMiddleware writes a JSON access line (view, status, duration, request id) with
# no path or query string; gunicorn's own access log would print paths, so it is off by default.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "countersign-web"
preload_app = False  # each worker opens its own connections after the fork


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Once the worker has loaded the app: move what it loaded (Django, the URL conf, the
    ICD-10-CM code set; ~1.7 million objects) to the collector's permanent generation.

    Python runs a full garbage collection only when the objects that survived the younger
    generations reach a quarter of the long-lived ones. Counting the start-up heap, that let a
    worker gather ~150,000 objects of reference cycles from its requests (about 2,000
    decisions, +7 MB of RSS) before each collection, and each collection walked all 1.7
    million objects. Frozen, they are neither counted nor walked (docs/benchmarks.md, "Web
    worker memory").

    Then glibc is asked to give back the free memory it kept from loading (~26 MB a worker)."""
    import gc

    gc.collect()  # start-up garbage is freed, not frozen
    gc.freeze()
    # A full collection now walks almost nothing, and it resets the count of long-lived objects
    # that the quarter is taken of (otherwise the frozen ones count until the next full one).
    gc.collect()
    give_back_free_memory()


def give_back_free_memory() -> None:
    """glibc's malloc_trim(0): free memory at the top of and inside its heaps goes back to the
    system. Other C libraries have no such call and skip it."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """prometheus-client multiprocess mode: drop the dead worker's gauge files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        try:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)
        except ImportError:
            pass
