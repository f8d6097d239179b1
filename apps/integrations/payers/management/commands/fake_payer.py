"""Run the fake payer of the tests for the demo: `manage.py fake_payer --port 8071`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the fake PAS payer (tests/integrations/fhir/fake_payer.py) on 127.0.0.1."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--port", type=int, default=8071)
        parser.add_argument("--token", default=None, help="Require this Authorization value.")
        parser.add_argument(
            "--answer",
            choices=("approve", "deny", "pend"),
            default="approve",
            help="What the payer answers every claim (pend: pended, then approved on inquiry).",
        )

    def handle(
        self, *args: object, port: int, token: str | None, answer: str, **options: object
    ) -> None:
        from tests.integrations.fhir import fake_payer

        payer = fake_payer.FakePayer(token=token, port=port).start()
        if answer == "deny":
            payer.default = fake_payer.deny("NMN", "Not medically necessary (demo).")
        elif answer == "pend":
            payer.pend_then_approve = True
        self.stdout.write(f"Fake payer listening on {payer.url} (Ctrl-C to stop).")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            payer.stop()
