"""Hand probe (not part of ``make bench``): one run of ``bench_load``'s day against one configuration, sampling
what PostgreSQL's backends of the bench database wait for (``pg_stat_activity``, 20 times a second).

    eval "$(.venv/bin/python tests/service_env.py)"
    .venv/bin/python -m tests.benchmarks.probe_locks WEB WORKERS PAGES SCALE     # e.g. 3 2 2 1.0

Prints the run's rates, whether it sustained the load, and per (wait event, state, statement) the mean number of
backends found in it per sample: a row lock held to commit shows as ``Lock transactionid`` on the statements
that wait for it.
"""

import collections
import sys
import threading
import time

SAMPLES_PER_SECOND = 20


def main(argv: list[str]) -> None:
    from tests.benchmarks.__main__ import setup_django

    setup_django()
    from django.db import connections

    from tests.benchmarks import bench_load
    from tests.benchmarks.support import bench_users, use_bench_queue

    web, workers, pages, scale = int(argv[0]), int(argv[1]), int(argv[2]), float(argv[3])
    use_bench_queue()
    bench_users()
    bench_load.load_trader()
    found, samples, stop = collections.Counter(), [0], threading.Event()

    def sample() -> None:
        connection = connections.create_connection("default")  # the sampler's own
        try:
            with connection.cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(
                        "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'), state, "
                        "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
                    )
                    samples[0] += 1
                    found.update(cursor.fetchall())
                    time.sleep(1 / SAMPLES_PER_SECOND)
        finally:
            connection.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = bench_load.run_configuration(web, workers, pages, scale=scale)
    finally:
        stop.set()
        sampler.join()
    arrived = result["arrived_per_second"]
    print(
        f"{bench_load.label(result)} at {scale:.0%}: {bench_load.submissions(result):.1f} of "
        f"{arrived['submissions']:.1f} submissions/s, {bench_load.records(result):,.0f} of "
        f"{arrived['logistics records']:,.0f} records/s, officer p95 {bench_load.officer_p95(result):.0f} ms, "
        f"sustained: {bench_load.sustains(result)}; cores by group: {result['cpu']}"
    )
    count = max(samples[0], 1)
    print(f"{samples[0]} samples; active backends per sample: {sum(found.values()) / count:.2f}")
    for (kind, event, state, query), seen in found.most_common(25):
        print(f"{seen / count:6.2f}  {kind:10} {event:20} {state:20} {query}")


if __name__ == "__main__":
    main(sys.argv[1:])
