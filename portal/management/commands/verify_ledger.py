import time

from django.core.management.base import BaseCommand, CommandError

from portal.ledger.audit import ledger_audit


class Command(BaseCommand):
    help = (
        "Re-verify the whole ledger: every leaf hash from its stored payload, every stored subtree node, "
        "every checkpoint's root and signature, and sequence continuity. Exits 1 naming the first bad "
        "sequence number."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=20_000, help="entries read per query")

    def handle(self, *args, chunk_size: int, verbosity: int, **options):
        started = time.perf_counter()
        progress = None
        if verbosity >= 2:

            def progress(count: int) -> None:
                self.stderr.write(f"{count} entries checked")

        report = ledger_audit(chunk_size=chunk_size, progress=progress)
        elapsed = time.perf_counter() - started
        rate = report.entries / elapsed if elapsed > 0 else 0
        summary = (
            f"{report.entries} entries, {report.nodes} nodes, {report.checkpoints} checkpoints "
            f"in {elapsed:.2f} s ({rate:,.0f} entries/s)"
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The ledger does NOT verify: first bad sequence number {report.first_bad_seq} "
                f"({len(report.problems)} problem(s)); {summary}.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"The ledger verifies: {summary}."))
