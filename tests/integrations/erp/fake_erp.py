"""A small fake ERP: a real HTTP server on 127.0.0.1 in a thread (tests, and the demo through
`manage.py fake_erp --port 8070`).

It speaks the generic REST connector's contract, dedupes requisitions by `Idempotency-Key`,
and can be told to fail the next N requests (HTTP 503) or to hang them (after recording a
requisition, as if the answer were lost on the way back).
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class ErpState:
    budgets: dict[str, Decimal] = field(default_factory=dict)
    default_budget: Decimal = Decimal("1000000")
    token: str | None = None
    requisitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by idempotency key
    requests: list[dict[str, Any]] = field(default_factory=list)  # every call, in order
    fail_remaining: int = 0
    fail_status: int = 503
    hang_remaining: int = 0
    hang_seconds: float = 60.0


class FakeErp:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None):
        self.state = ErpState(token=token)
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.hanging = threading.Event()  # set while a request is held
        handler = type("Handler", (_Handler,), {"erp": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- control ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeErp:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.state.fail_remaining = count
            self.state.fail_status = status

    def hang_next(self, count: int = 1, seconds: float = 60.0) -> None:
        with self.lock:
            self.state.hang_remaining = count
            self.state.hang_seconds = seconds
            self.release.clear()

    def set_budget(self, cost_centre: str, amount: str) -> None:
        with self.lock:
            self.state.budgets[cost_centre] = Decimal(amount)

    def requisition_count(self) -> int:
        with self.lock:
            return len(self.state.requisitions)

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.state.requests if path is None or c["path"] == path]

    # --- behaviour --------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Message[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, Any], bool]:
        with self.lock:
            self.state.requests.append(
                {"method": method, "path": path, "key": headers.get("Idempotency-Key")}
            )
            if self.state.token and headers.get("Authorization") != self.state.token:
                return 401, {"error": "bad token"}, False
            if self.state.fail_remaining > 0:
                self.state.fail_remaining -= 1
                return self.state.fail_status, {"error": "temporarily unavailable"}, False
            hang = self.state.hang_remaining > 0
            if hang:
                self.state.hang_remaining -= 1
            try:
                data = json.loads(body) if body else {}
            except json.JSONDecodeError:
                return 400, {"error": "not json"}, False
            if method == "POST" and path == "/budgets/check":
                status, answer = self._budget(data)
            elif method == "POST" and path == "/requisitions":
                status, answer = self._requisition(data, headers.get("Idempotency-Key"))
            elif method == "GET" and path == "/requisitions":
                key = (query.get("idempotency_key") or [""])[0]
                found = self.state.requisitions.get(key)
                status, answer = (200, found) if found else (404, {"error": "not found"})
            else:
                status, answer = 404, {"error": "no such endpoint"}
            return status, answer, hang

    def _budget(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            return 422, {"error": "amount"}
        centre = str(data.get("costCenter") or "")
        if not centre:
            return 422, {"error": "costCenter"}
        budget = self.state.budgets.get(centre, self.state.default_budget)
        return 200, {"available": amount <= budget, "remaining": str(budget), "currency": "USD"}

    def _requisition(self, data: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        if not key:
            return 400, {"error": "Idempotency-Key header required"}
        existing = self.state.requisitions.get(key)
        if existing is not None:
            return 200, existing
        number = len(self.state.requisitions) + 1
        record = {
            "id": f"REQ-{number:06d}",
            "status": "submitted",
            "externalReference": data.get("externalReference"),
            "amount": data.get("amount"),
        }
        self.state.requisitions[key] = record
        return 201, record


class _Handler(BaseHTTPRequestHandler):
    erp: FakeErp

    def _serve(self, method: str) -> None:
        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parsed.path == "/_control" and method == "POST":  # the demo's remote control
            control = json.loads(body or b"{}")
            if "fail" in control:
                self.erp.fail_next(int(control["fail"]))
            if "hang" in control:
                self.erp.hang_next(int(control["hang"]))
            return self._reply(200, {"ok": True})
        status, answer, hang = self.erp.handle(
            method, parsed.path, parse_qs(parsed.query), self.headers, body
        )
        if hang:
            self.erp.hanging.set()
            self.erp.release.wait(self.erp.state.hang_seconds)
        with contextlib.suppress(OSError):  # the caller went away while we hung
            self._reply(status, answer)

    def _reply(self, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return


def serve(port: int, token: str | None = None) -> FakeErp:  # pragma: no cover - demo helper
    return FakeErp("127.0.0.1", port, token=token).start()
