"""Certificate figures: PDF rendering time per certificate, and issue/revoke through the services."""

from __future__ import annotations

import statistics
import tempfile
import time

from django.conf import settings
from django.db import transaction

NOTES = """
How the certificate figures are taken (`tests/benchmarks/bench_certificates.py`):

- **PDF render**: `inspections.certificates.pdf.certificate_pdf_bytes` on a certificate of a
  released demo declaration (3 goods lines), repeated; the first render (font and module
  warm-up) is reported separately. Chinese is set in reportlab's built-in CID font, so no font
  is embedded; the QR code is a segno PNG. Median and p95 of 40 renders. **render + store** is
  the whole task body (`certificate_pdf_render`: lock the row, render, write the file to a
  temporary MEDIA_ROOT, store its SHA-256 and time, history row), median of the 10 certificates
  issued below.
- **issue**: `certificate_issue` (number under the year's lock, ledger append, notification),
  each in its own transaction, on the benchmark database; median of 10.
"""

ROUNDS = 40  # PDF renders timed
ISSUES = 10  # certificates issued (each timed), then each rendered and stored (timed)


def _declaration():
    from declarations.demo import demo_declarations_seed
    from declarations.models import Declaration
    from tests.benchmarks.support import bench_users

    bench_users()
    if not Declaration.objects.filter(transport_document_number="DEMO-BL-0008").exists():
        demo_declarations_seed()
    return Declaration.objects.filter(transport_document_number="DEMO-BL-0008", status="departed").first()


def run() -> list[dict]:
    from inspections.certificates.pdf import certificate_pdf_bytes
    from inspections.certificates.services import certificate_issue, certificate_pdf_render
    from portal.models import User

    declaration = _declaration()
    officer = User.objects.get(username="officer.shunde")
    item_ids = list(declaration.items.values_list("pk", flat=True))

    issue_times = []
    certificates = []
    for _round in range(ISSUES):
        started = time.perf_counter()
        with transaction.atomic():
            certificates.append(
                certificate_issue(actor=officer, declaration_id=declaration.pk, kind="quality", item_ids=item_ids)
            )
        issue_times.append(time.perf_counter() - started)
    certificate = certificates[0]

    started = time.perf_counter()
    size = len(certificate_pdf_bytes(certificate))
    first = time.perf_counter() - started
    render_times = []
    for _round in range(ROUNDS):
        started = time.perf_counter()
        certificate_pdf_bytes(certificate)
        render_times.append(time.perf_counter() - started)

    stored_times = []
    original_root = settings.MEDIA_ROOT
    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        try:
            for issued in certificates:
                started = time.perf_counter()
                certificate_pdf_render(certificate_id=issued.pk)
                stored_times.append(time.perf_counter() - started)
        finally:
            settings.MEDIA_ROOT = original_root

    median_ms = statistics.median(render_times) * 1000
    p95_ms = sorted(render_times)[int(len(render_times) * 0.95) - 1] * 1000
    stored_ms = statistics.median(stored_times) * 1000
    return [
        {
            "name": "certificate PDF render, median",
            "value": round(median_ms, 1),
            "unit": "ms",
            "target": "< 500 ms (background task)",
            "ok": median_ms < 500,
            "repeats": len(render_times),
            "note": f"{ROUNDS} renders, {len(item_ids)} goods lines, {size:,} bytes",
        },
        {
            "name": "certificate PDF render, p95",
            "value": round(p95_ms, 1),
            "unit": "ms",
            "target": "",
            "ok": None,
            "repeats": len(render_times),
            "note": f"95th percentile of the {len(render_times)} renders; first render in the process "
            f"(warm-up, not counted) {first * 1000:.0f} ms",
        },
        {
            "name": "render + store (task body), median",
            "value": round(stored_ms, 1),
            "unit": "ms",
            "target": "",
            "ok": None,
            "repeats": len(stored_times),
            "note": f"{len(stored_times)} certificates: lock, render, write file, SHA-256, history",
        },
        {
            "name": "certificate issue (service), median",
            "value": round(statistics.median(issue_times) * 1000, 1),
            "unit": "ms",
            "target": "",
            "ok": None,
            "repeats": len(issue_times),
            "note": f"{len(issue_times)} issues: number under lock, ledger append, notification, one transaction",
        },
    ]
