"""Run the fake ERP of the tests for the demo: `manage.py fake_erp --port 8070`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the fake ERP HTTP server (tests/integrations/erp/fake_erp.py) on 127.0.0.1."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--port", type=int, default=8070)
        parser.add_argument("--token", default=None, help="Require this Authorization value.")

    def handle(self, *args: object, port: int, token: str | None, **options: object) -> None:
        from tests.integrations.erp.fake_erp import FakeErp

        erp = FakeErp("127.0.0.1", port, token=token).start()
        self.stdout.write(f"Fake ERP listening on {erp.url} (Ctrl-C to stop).")
        self.stdout.write('Control: POST /_control {"fail": 3} or {"hang": 1}.')
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            erp.stop()
