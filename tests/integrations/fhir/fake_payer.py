"""A small fake payer: a real PAS server on 127.0.0.1 in a thread.

`POST /fhir/Claim/$submit` and `POST /fhir/Claim/$inquire` take a FHIR JSON Bundle, which it
validates with fhir.resources R4B (a `collection` Bundle whose first entry is a Claim with
`use = preauthorization`), and answer with a ClaimResponse bundle as scripted per call:
`approve`, `deny` (with a reason), `pend` (with a tracking number), `partial` (review action per
item). A repeated `Idempotency-Key` gets the first answer again (the payer dedupes). It can be
told to fail the next N calls (HTTP 503) and checks the credential header.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

REVIEW_ACTION_URL = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
X12_306 = "https://codesystem.x12.org/005010/306"
REASON_SYSTEM = "https://codesystem.x12.org/005010/HCR03"


@dataclass
class Answer:
    """What the payer says: a review action for every item (or one per item in `per_item`)."""

    action: str = "A1"  # A1 approved, A3 denied, A4 pended, A2 partial
    per_item: dict[int, str] = field(default_factory=dict)
    reason_code: str = ""
    reason_text: str = ""
    tracking: str = "AUTH-0001"


def approve(tracking: str = "AUTH-0001") -> Answer:
    return Answer("A1", tracking=tracking)


def deny(code: str, text: str) -> Answer:
    return Answer("A3", reason_code=code, reason_text=text)


def pend(tracking: str) -> Answer:
    return Answer("A4", tracking=tracking)


def partial(per_item: dict[int, str], code: str = "", text: str = "") -> Answer:
    return Answer("A2", per_item=per_item, reason_code=code, reason_text=text)


@dataclass
class Call:
    path: str
    key: str | None
    auth: str | None
    claim_identifier: str
    bundle: dict[str, Any]
    status: int


class FakePayer:
    def __init__(self, *, token: str | None = None, port: int = 0) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.script: list[Answer] = []  # answers for the next calls, in order
        self.default = approve()
        self.fail_remaining = 0
        self.answers_by_key: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.hang_remaining = 0
        self.pend_then_approve = False  # the demo's answer: pended on $submit, then approved
        self.release = threading.Event()
        self.hanging = threading.Event()  # set while a call is held
        handler = type("Handler", (_Handler,), {"payer": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/fhir"

    def start(self) -> FakePayer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer_with(self, *answers: Answer) -> None:
        with self.lock:
            self.script.extend(answers)

    def hang_next(self, count: int = 1) -> None:
        """Record the next call(s) and their answer, then hold the reply until `release` (as if
        the answer were lost on the way back)."""
        with self.lock:
            self.hang_remaining = count
            self.release.clear()

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.fail_remaining = count

    def calls_to(self, operation: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path.endswith(operation)]

    # --- behaviour --------------------------------------------------------------------------

    def handle(
        self, path: str, key: str | None, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, Any], bool]:
        status, answer = self._answer(path, key, auth, body)
        with self.lock:
            hang = status == 200 and self.hang_remaining > 0
            if hang:
                self.hang_remaining -= 1
        return status, answer, hang

    def _answer(
        self, path: str, key: str | None, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if path not in ("/fhir/Claim/$submit", "/fhir/Claim/$inquire"):
                return 404, _outcome("not-found", "No such operation.")
            if self.token and auth != self.token:
                return 401, _outcome("security", "Bad credential.")
            try:
                raw = json.loads(body)
                bundle = Bundle.model_validate(raw)
            except (json.JSONDecodeError, ValidationError) as error:
                return 400, _outcome("structure", f"Not a valid R4 Bundle: {type(error).__name__}")
            entries: list[Any] = list(bundle.entry or [])
            resource: Any = entries[0].resource if entries else None
            if bundle.type != "collection" or resource is None:
                return 400, _outcome("structure", "A PAS request is a collection Bundle.")
            if resource.get_resource_type() != "Claim" or resource.use != "preauthorization":
                return 400, _outcome(
                    "structure", "The first entry must be a preauthorization Claim."
                )
            identifier = resource.identifier[0].value if resource.identifier else ""
            call = Call(path, key, auth, identifier, raw, 200)
            self.calls.append(call)
            if self.fail_remaining > 0:
                self.fail_remaining -= 1
                call.status = 503
                return 503, _outcome("transient", "Try again later.")
            if key and key in self.answers_by_key:
                return 200, self.answers_by_key[key]
            if self.script:
                answer = self.script.pop(0)
            elif self.pend_then_approve:
                answer = pend("TRK-DEMO") if path.endswith("$submit") else approve("AUTH-DEMO")
            else:
                answer = self.default
            sequences = [item.sequence for item in resource.item or []]
            reply = _claim_response(answer, identifier, sequences)
            if key:
                self.answers_by_key[key] = reply
            return 200, reply


def _outcome(code: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }


def _claim_response(answer: Answer, identifier: str, sequences: list[int]) -> dict[str, Any]:
    items = []
    for sequence in sequences:
        action = answer.per_item.get(sequence, answer.action)
        adjudication: dict[str, Any] = {
            "category": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adjudication",
                        "code": "submitted",
                    }
                ]
            },
            "extension": [
                {
                    "url": REVIEW_ACTION_URL,
                    "extension": [
                        {"url": "number", "valueString": answer.tracking},
                        {
                            "url": "code",
                            "valueCodeableConcept": {
                                "coding": [{"system": X12_306, "code": action}]
                            },
                        },
                    ],
                }
            ],
        }
        if action == "A3" and answer.reason_code:
            adjudication["reason"] = {
                "coding": [{"system": REASON_SYSTEM, "code": answer.reason_code}],
                "text": answer.reason_text,
            }
        items.append({"itemSequence": sequence, "adjudication": [adjudication]})
    response = {
        "resourceType": "ClaimResponse",
        "identifier": [{"system": "https://payer.example/claim-response", "value": identifier}],
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "preauthorization",
        "patient": {"reference": "Patient/p1"},
        "created": "2026-12-07T12:00:00Z",
        "insurer": {"reference": "Organization/payer"},
        "outcome": "queued" if answer.action == "A4" else "complete",
        "preAuthRef": answer.tracking,
        "item": items,
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": response}
        ],
    }


class _Handler(BaseHTTPRequestHandler):
    payer: FakePayer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, answer, hang = self.payer.handle(
            self.path, self.headers.get("Idempotency-Key"), self.headers.get("Authorization"), body
        )
        if hang:
            self.payer.hanging.set()
            self.payer.release.wait(60)
        payload = json.dumps(answer).encode()
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return
