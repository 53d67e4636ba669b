"""Hand probe (not part of ``make bench``): the CPU this process spends per request of one kind of ``bench_cost``'s
day, in-process with the load's production settings, after ``bench_cost``'s warm-up.

    eval "$(.venv/bin/python tests/service_env.py)"
    .venv/bin/python -m tests.benchmarks.probe_kind declaration [count] [--profile]

``kind`` is a method of ``bench_cost.Day`` (``declaration``, ``financing_request``, ``officer_round`` …); prints
milliseconds per call (``time.process_time``), and with ``--profile`` the cProfile of the calls (wall time, the
database's answers included). For an A/B, run it from two worktrees one after the other, alternating.
"""

import cProfile
import io
import os
import pstats
import sys
import time


def setup_day():
    """``bench_cost``'s day against the bench database, after its warm-up, and the function that purges what it
    wrote (call it when done): for this probe and ``probe_explain``."""
    from tests.benchmarks.__main__ import bench_database_url
    from tests.benchmarks.support import child_environment

    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.update(
        child_environment(DJANGO_SETTINGS_MODULE="tests.benchmarks.load_settings", ALLOWED_HOSTS="testserver")
    )
    import django

    django.setup()
    from tests.benchmarks.bench_cost import WARM_UP_SECONDS, Day, Meter, one_round
    from tests.benchmarks.bench_load import load_plan, purge_load_rows
    from tests.benchmarks.support import bench_users, purge_bench_queue, use_bench_queue

    use_bench_queue()
    bench_users()
    plan = load_plan("http://testserver")
    purge_load_rows()

    def finish() -> None:
        purge_load_rows()
        purge_bench_queue()

    try:
        day = Day(plan, Meter())
        one_round(day, WARM_UP_SECONDS)
    except BaseException:
        finish()
        raise
    return day, finish


def main(argv: list[str]) -> None:
    arguments = [argument for argument in argv if not argument.startswith("--")]
    kind, count = arguments[0], int(arguments[1]) if len(arguments) > 1 else 200
    day, finish = setup_day()
    try:
        call = getattr(day, kind)
        profile = cProfile.Profile() if "--profile" in argv else None
        started = time.process_time()
        if profile:
            profile.enable()
        for _call in range(count):
            call()
        if profile:
            profile.disable()
        print(f"{kind}: {1000 * (time.process_time() - started) / count:.2f} ms CPU per call, {count} calls")
        if profile:
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
            print(text.getvalue())
    finally:
        finish()


if __name__ == "__main__":
    main(sys.argv[1:])
