"""Filing in two calls (create, then submit) against one call (``?submit=true``) over HTTP, alternating::

    python -m tests.benchmarks.compare_filing [rounds]

Each round runs ``bench_load.run_configuration(2, 2)`` at the full load once with ``LOAD_FILING=two-calls`` and
once with ``one-call`` (the locust child reads it from the environment), and prints each run's submissions and
records accepted per second and the officers' p95 as JSON lines, then the medians and each round's ratio. Not
part of ``make bench``: it measured one change (bench_load's notes, "filing in one call"). About two minutes a
round, against the benchmark database that ``python -m tests.benchmarks`` prepares.
"""

from __future__ import annotations

import json
import os
import sys

from .__main__ import setup_django


def main(rounds: int) -> None:
    setup_django()
    import django

    django.setup()
    from . import bench_load, load_mix
    from .support import bench_users, median, use_bench_queue

    use_bench_queue()
    bench_users()
    runs = {filing: [] for filing in load_mix.FILINGS[::-1]}  # two-calls first in each round
    try:
        for number in range(1, rounds + 1):
            for filing, results in runs.items():
                os.environ["LOAD_FILING"] = filing
                result = bench_load.run_configuration(2, 2)
                row = {
                    "round": number,
                    "filing": filing,
                    "submissions_per_second": round(bench_load.submissions(result), 1),
                    "records_per_second": round(bench_load.records(result)),
                    "officer_p95_ms": bench_load.officer_p95(result),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        bench_load.purge_load_rows()
    two, one = runs["two-calls"], runs["one-call"]
    for name in ("submissions_per_second", "officer_p95_ms"):
        ratios = [b[name] / a[name] for a, b in zip(two, one, strict=True) if a[name]]
        print(
            f"{name}: two calls median {median(r[name] for r in two)}, one call median {median(r[name] for r in one)}"
            f"; one / two within each round {', '.join(f'{ratio:.2f}' for ratio in ratios)}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
