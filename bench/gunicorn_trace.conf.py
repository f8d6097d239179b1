"""deploy/gunicorn.conf.py plus a memory tracer in every worker, for `bench/api_load.py
--trace-memory` (finding what a web worker's memory grows by under load; never for production).

Each worker notes its RSS after its first BENCH_TRACE_WARMUP requests (100) and, every
BENCH_TRACE_EVERY requests (250) after that, writes to BENCH_TRACE_DIR/worker-<pid>.txt:
- its RSS growth since then, and the RSS after glibc's `malloc_trim(0)` gives the free memory
  at the top and inside its heaps back to the system: what is left is memory still in use (or
  fragments too small to give back), what went is memory the allocator merely kept;
- with BENCH_TRACE_FRAMES > 0, the Python heap that tracemalloc traces and the allocation sites
  that grew most (grouped by traceback of that many frames, newest first). tracemalloc slows a
  decision two to five times and its snapshots themselves inflate the RSS; with 0 (the
  default) it stays off and the RSS figures are the worker's own.
"""

import gc
import os
import sys
import threading
import tracemalloc
from pathlib import Path

import psutil  # installed with pgserver (the embedded PostgreSQL), as bench/api_load.py uses it

_deploy = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"
exec(compile(_deploy.read_text(), str(_deploy), "exec"))  # noqa: S102 - our own settings file

_WARMUP = int(os.environ.get("BENCH_TRACE_WARMUP", "100"))
_EVERY = int(os.environ.get("BENCH_TRACE_EVERY", "250"))
_FRAMES = int(os.environ.get("BENCH_TRACE_FRAMES", "0"))
# 1: also run a full garbage collection at each report and count what survives it.
_COLLECT = os.environ.get("BENCH_TRACE_GC") == "1"
_DIR = Path(os.environ.get("BENCH_TRACE_DIR", "/tmp"))  # noqa: S108
_lock = threading.Lock()
_state: dict = {"served": 0, "baseline": None, "baseline_rss": None, "baseline_traced": 0}


def _rss_kb() -> int:
    return psutil.Process().memory_info().rss // 1024


def _rss_by_kind() -> dict[str, int]:
    """RSS in kB by kind of mapping: glibc's main heap, other anonymous memory (pymalloc's
    arenas, glibc's thread arenas, large blocks), the metrics files of prometheus-client's
    multiprocess mode, and other files (libraries)."""
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or "//"
    kinds: dict[str, int] = {}
    for mapping in psutil.Process().memory_maps(grouped=True):
        if mapping.path == "[heap]":
            kind = "glibc heap"
        elif mapping.path.startswith(metrics_dir):
            kind = "metrics files"
        elif mapping.path.startswith("/"):
            kind = "files"
        else:
            kind = "anonymous"
        kinds[kind] = kinds.get(kind, 0) + mapping.rss // 1024
    return kinds


def _pymalloc_arenas() -> int | None:
    """pymalloc arenas (1 MiB each) in use, from sys._debugmallocstats (which writes to fd 2)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        for line in capture:
            if line.startswith("# arenas allocated current"):
                return int(line.split("=")[1].replace(",", ""))
    return None


_deploy_post_worker_init = post_worker_init  # noqa: F821 - defined by the exec above


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    if os.environ.get("BENCH_TRACE_NO_FREEZE") != "1":  # 1: measure without the freeze
        _deploy_post_worker_init(worker)
    if _FRAMES > 0:
        tracemalloc.start(_FRAMES)


def _heap_growth() -> list[str]:
    snapshot = tracemalloc.take_snapshot()
    filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
    top = snapshot.filter_traces(filters).compare_to(
        _state["baseline"].filter_traces(filters), "traceback"
    )[:12]
    traced = tracemalloc.get_traced_memory()[0]
    lines = [f"  traced Python heap {(traced - _state['baseline_traced']) // 1024:+d} kB"]
    for stat in top:
        lines.append(f"  {stat.size_diff / 1024:+.1f} kB in {stat.count_diff:+d} blocks")
        frames = stat.traceback.format(most_recent_first=True)[:8]
        lines.extend(f"      {frame}" for frame in frames)
    return lines


def post_request(worker, req, environ, resp):  # type: ignore[no-untyped-def]
    with _lock:
        _state["served"] += 1
        served = _state["served"]
    if served == _WARMUP:
        if _FRAMES > 0:
            _state["baseline"] = tracemalloc.take_snapshot()
            _state["baseline_traced"] = tracemalloc.get_traced_memory()[0]
        _state["baseline_rss"] = _rss_kb()
        _state["baseline_kinds"] = _rss_by_kind()
        _state["baseline_arenas"] = _pymalloc_arenas()
        _state["baseline_blocks"] = sys.getallocatedblocks()
        return
    if _state["baseline_rss"] is None or served % _EVERY:
        return
    rss = _rss_kb() - _state["baseline_rss"]
    lines = _heap_growth() if _FRAMES > 0 else []
    give_back_free_memory()  # noqa: F821 - defined by the exec above
    trimmed = _rss_kb() - _state["baseline_rss"]
    kinds = _rss_by_kind()
    by_kind = ", ".join(
        f"{kind} {kb - _state['baseline_kinds'].get(kind, 0):+d}" for kind, kb in kinds.items()
    )
    arenas = _pymalloc_arenas()
    blocks = sys.getallocatedblocks()
    collected = ""
    if _COLLECT:
        found = gc.collect()
        collected = f" ({sys.getallocatedblocks():,} after gc.collect(), which found {found:,})"
    lines[0:0] = [
        f"after {served} requests: RSS {rss:+d} kB, {trimmed:+d} kB after malloc_trim, since "
        f"request {_WARMUP}",
        f"  by kind (kB, after the trim): {by_kind}",
        f"  pymalloc arenas: {_state['baseline_arenas']} -> {arenas}; live Python memory "
        f"blocks: {_state['baseline_blocks']:,} -> {blocks:,}{collected}",
    ]  # fmt: skip
    with open(_DIR / f"worker-{os.getpid()}.txt", "a") as out:
        out.write("\n".join(lines) + "\n\n")
