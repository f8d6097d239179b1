"""Approval packet PDF: time to generate one for a realistic, fully decided request.

The request is a capital purchase of $650,000 in a scratch tenant: four approval steps decided
(director; VP, who first asks for information and is answered; CFO endorsement; board), six
comments, five attachments and the timeline and audit entries those leave. Each packet is made
as the download view makes it: `selectors.request_for` then `packet.packet_render` (HTML from
the template, then WeasyPrint), as the requester; each one is also recorded as a PHI access.

Cold: the first packet in a fresh process (WeasyPrint imported, fonts and template loaded), one
new process per run. Warm: later packets in the same process. The download row goes through the
real view with a signed-in test client (middleware, session, response).

Run: .venv/bin/python bench/packet_pdf.py [--runs 7] [--cold-runs 3]
Uses its own database (countersign_bench_pdf) and a temporary MEDIA_ROOT it deletes.
Prints Markdown for docs/benchmarks.md.
"""

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_pdf")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["DEBUG"] = "false"  # as in production: no query log, no debug page

SLUG = "bench-pdf"
PASSWORD = "bench-password-123"  # noqa: S105 (a scratch tenant's test user)
PEOPLE = (
    # email local part, full name, roles
    ("alice", "Alice Admin", ()),
    ("carol", "Carol Requester", ()),
    ("bob", "Bob Director", ("director",)),
    ("victor", "Victor Vice-President", ("vp",)),
    ("frank", "Frank Finance", ("cfo",)),
    ("bea", "Bea Board-Chair", ("board",)),
)
ANSWERS = {
    "item_description": "Portable ultrasound systems (4 units) with service contract",
    "vendor": "Acme Medical Systems, Inc.",
    "amount": "650000",
    "cost_centre": "4100-RAD",
    "owning_department": "radiology",
    "justification": (
        "The four bedside ultrasound units in the emergency department are past end of "
        "support; two failed in the last quarter and were out of service for 19 days in "
        "total. Alternatives considered: refurbished units (no service contract offered) and "
        "leasing (31% more over five years). Expected benefit: bedside imaging for about "
        "1,900 ED visits a year without transport to radiology.\n\nThe quote includes "
        "installation, training for 60 staff and a five-year service contract."
    ),
}
COMMENTS = (
    ("carol", "Quote attached; the vendor holds the price until the end of the quarter."),
    ("bob", "Checked against the departmental equipment plan: this is item 3 of 11."),
    ("victor", "Please add the leasing comparison and the failure log of the current units."),
    ("carol", "Added both. The failure log covers the last 18 months from the CMMS."),
    (
        "frank",
        "Funded from the FY capital pool; 7-year depreciation.\nEndorsed, subject to the board.",
    ),
    ("bea", "Approved at the board meeting; minutes reference BM-2026-11."),
)
FILES = (
    ("carol", "acme-quote-2026-118.pdf", "application/pdf", 240_000),
    ("carol", "ed-ultrasound-failure-log.txt", "text/plain", 18_000),
    ("carol", "leasing-comparison.pdf", "application/pdf", 96_000),
    ("carol", "unit-photo.png", "image/png", 410_000),
    ("frank", "capital-pool-allocation.pdf", "application/pdf", 64_000),
)


def content(kind: str, size: int) -> bytes:
    header = {"application/pdf": b"%PDF-1.4\n", "image/png": b"\x89PNG\r\n\x1a\n"}.get(kind, b"")
    return (header + os.urandom(size))[:size] if header else (b"line of the log\n" * size)[:size]


def request_build() -> tuple[str, int]:
    """Create the scratch tenant (once) and a new decided request; returns its reference and
    the tenant's id. Runs in the public schema."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.approvals.discussion import attachment_add, comment_add
    from apps.approvals.services import (
        DecisionInput,
        request_create,
        request_resubmit,
        task_claim,
        task_decide,
    )
    from apps.people.models import Role
    from apps.people.services import department_ensure
    from apps.tenants.models import Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.services import template_pack_install

    template_schema_ensure()
    platform_ensure()
    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        partner=partner_ensure(name="Bench PDF", slug="bench-pdf-partner"),
        slug=SLUG,
        name="St. Benedict Regional Medical Center",
        branding={"primary_colour": "#1e3a8a", "accent_colour": "#b45309"},
    )
    with tenant_context(tenant):
        people = {}
        for local, full_name, _ in PEOPLE:
            email = f"{local}@{SLUG}.test"
            people[local] = User.objects.filter(email=email).first() or User.objects.create_user(
                email, PASSWORD, full_name=full_name, is_tenant_admin=local == "alice"
            )
        template_pack_install(actor=people["alice"])
        for local, _, roles in PEOPLE:
            for key in roles:
                Role.objects.get(key=key).members.add(people[local])
        radiology = department_ensure(
            actor=None, key="radiology", name="Radiology", head=people["bob"]
        )
        radiology.members.add(people["carol"])

        workflow = WorkflowDefinition.objects.get(key="capital-purchase")
        request = request_create(actor=people["carol"], workflow=workflow, data=ANSWERS)
        for local, name, kind, size in FILES[:2]:
            upload = SimpleUploadedFile(name, content(kind, size), content_type=kind)
            attachment_add(actor=people[local], approval=request, upload=upload)
        comments = iter(COMMENTS)

        def comment() -> None:
            local, body = next(comments)
            comment_add(actor=people[local], approval=request, body=body)

        def decide(decision: DecisionInput) -> None:
            task = request.tasks.filter(status="pending").order_by("id").first()
            assert task is not None, request.status
            if task.assignee is None:
                member = task.queue_role.members.exclude(pk=request.requester_id).first()
                task = task_claim(actor=member, task=task)
            task_decide(actor=task.assignee, task=task, decision=decision)

        comment()
        comment()
        decide(DecisionInput("approve", comment="Consistent with the equipment plan."))
        comment()
        decide(DecisionInput("request_info", comment="Leasing comparison and failure log, please."))
        for local, name, kind, size in FILES[2:4]:
            upload = SimpleUploadedFile(name, content(kind, size), content_type=kind)
            attachment_add(actor=people[local], approval=request, upload=upload)
        comment()
        request_resubmit(actor=people["carol"], approval=request)
        decide(DecisionInput("approve", comment="Comparison favours buying."))
        local, name, kind, size = FILES[4]
        upload = SimpleUploadedFile(name, content(kind, size), content_type=kind)
        attachment_add(actor=people[local], approval=request, upload=upload)
        comment()
        decide(DecisionInput("approve", comment="Endorsed; see allocation attached."))
        comment()
        decide(DecisionInput("approve", comment="Board approval BM-2026-11."))
        request.refresh_from_db()
        assert request.status == "approved", request.status
        return request.reference, tenant.pk


def packet_once(reference: str, tenant_id: int) -> dict[str, float | int]:
    """One packet as the download view makes it, with the HTML part timed on its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.approvals import packet, selectors
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.get(pk=tenant_id)
    html_seconds = 0.0
    real_render = packet.render_to_string

    def timed_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal html_seconds
        started = time.perf_counter()
        try:
            return real_render(*args, **kwargs)
        finally:
            html_seconds += time.perf_counter() - started

    packet.render_to_string = timed_render
    try:
        with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            actor = User.objects.get(email=f"carol@{SLUG}.test")
            approval = selectors.request_for(actor, reference)
            pdf = packet.packet_render(actor=actor, approval=approval, tenant=tenant)
            total = time.perf_counter() - started
    finally:
        packet.render_to_string = real_render
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert reference in text, "reference missing from the packet"
    assert "Bea Board-Chair" in text, "last decision missing from the packet"
    return {
        "total": total,
        "html": html_seconds,
        "queries": len(queries),
        "pages": len(reader.pages),
        "bytes": len(pdf),
    }


def download_times(reference: str, runs: int) -> list[float]:
    """GET /requests/<reference>/packet.pdf through the real view, signed in as the requester."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST=f"{SLUG}.{settings.PLATFORM_DOMAIN}")
    response = client.post("/login/", {"username": f"carol@{SLUG}.test", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    times = []
    for _ in range(runs + 1):  # the first one warms the client's middleware path
        started = time.perf_counter()
        response = client.get(f"/requests/{reference}/packet.pdf")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "application/pdf"
    return times[1:]


def setup_django() -> None:
    import logging
    import warnings

    import django

    warnings.filterwarnings("ignore")  # e.g. whitenoise's "no directory at var/static"
    django.setup()
    logging.disable(logging.INFO)  # celery task and sign-in lines between the tables
    from config.celery import app

    # Notifications of the decisions run in this process (locmem email), not on the shared
    # broker where another checkout's worker could pick them up.
    app.conf.task_always_eager = True


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--cold-child", nargs=2, metavar=("REFERENCE", "TENANT_ID"))
    args = parser.parse_args()

    if args.cold_child:  # a fresh process: report its first packet only
        started = time.perf_counter()
        setup_django()
        setup = time.perf_counter() - started
        result = packet_once(args.cold_child[0], int(args.cold_child[1]))
        print(json.dumps({**result, "setup": setup}))
        return

    media = tempfile.mkdtemp(prefix="countersign-bench-pdf-")
    os.environ["MEDIA_ROOT"] = media
    try:
        setup_django()
        from django.core.management import call_command

        from bench.report import machine_line

        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        machine = machine_line()
        started = time.perf_counter()
        reference, tenant_id = request_build()
        build_seconds = time.perf_counter() - started

        cold = []
        for _ in range(args.cold_runs):
            child = subprocess.run(
                [sys.executable, __file__, "--cold-child", reference, str(tenant_id)],
                cwd=ROOT,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
                capture_output=True,
                text=True,
                check=True,
            )
            cold.append(json.loads(child.stdout.strip().splitlines()[-1]))
        first_here = packet_once(reference, tenant_id)  # this process's cold packet
        warm = [packet_once(reference, tenant_id) for _ in range(args.runs)]
        downloads = download_times(reference, args.runs)
        load_after = load_average()
    finally:
        shutil.rmtree(media, ignore_errors=True)

    print_report(args, machine, reference, build_seconds, cold, first_here, warm, downloads,
                 load_after)  # fmt: skip


def print_report(args, machine, reference, build_seconds, cold, first_here, warm, downloads,  # type: ignore[no-untyped-def]
                 load_after) -> None:  # fmt: skip
    def row(label: str, values: list[float], extra: str = "") -> str:
        return (
            f"| {label} | {len(values)} | {statistics.median(values):.3f} | {min(values):.3f} | "
            f"{max(values):.3f} | {extra} |"
        )

    sample = warm[-1]
    print("## Approval packet PDF")
    print()
    print(machine)
    print()
    print(f"Command: `.venv/bin/python bench/packet_pdf.py --runs {args.runs} --cold-runs "
          f"{args.cold_runs}` (own database `countersign_bench_pdf`, temporary `MEDIA_ROOT`, "
          f"`DEBUG=false`). Load average (1/5/15 min) at the end: {load_after}.")  # fmt: skip
    print()
    print(f"Request {reference}: capital purchase of $650,000 with four approval steps decided "
          "(director; VP after one request for information answered by the requester; CFO "
          "endorsement; board), six comments, five attachments (the packet lists each file's "
          "name, size, uploader and SHA-256; it does not embed file contents or extracted "
          f"text), and the resulting timeline (built in {build_seconds:.1f} s). Each packet is "
          "`selectors.request_for` + `packet.packet_render` as the requester, as the download "
          "view does; every one also writes its PHI-access audit entry.")  # fmt: skip
    print()
    print(f"The PDF: {sample['pages']} pages, {sample['bytes']:,} bytes; "
          f"{sample['queries']} queries per packet.")  # fmt: skip
    print()
    print("| measurement | runs | median (s) | min (s) | max (s) | notes |")
    print("|---|---|---|---|---|---|")
    print(row("cold: first packet in a fresh process", [c["total"] for c in cold],
              "after `django.setup()` (median "
              f"{statistics.median(c['setup'] for c in cold):.1f} s, not included)"))  # fmt: skip
    print(row("cold: first packet of the benchmark process", [first_here["total"]],
              "data built in this process just before"))  # fmt: skip
    print(row("warm: packet", [w["total"] for w in warm], "same process, later packets"))
    print(row("… of which HTML (queries + template)", [w["html"] for w in warm]))
    print(row("… of which WeasyPrint (layout + PDF)", [w["total"] - w["html"] for w in warm]))
    print(row("warm: `GET …/packet.pdf` through the view", downloads,
              "signed-in test client, whole response"))  # fmt: skip


if __name__ == "__main__":
    main()
