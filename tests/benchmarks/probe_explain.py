"""Hand probe (not part of ``make bench``): every SQL statement one call of a kind of ``bench_cost``'s day sends, with
its time, and for each read PostgreSQL's own planning and execution time (``EXPLAIN ANALYZE`` run after the call).

    eval "$(.venv/bin/python tests/service_env.py)"
    .venv/bin/python -m tests.benchmarks.probe_explain officer_round [financing_request …]

``kind`` is a method of ``bench_cost.Day``, as for ``probe_kind``. Statements are caught with Django's
``execute_wrapper`` (a request's start clears ``connection.queries``, so query capture would keep only the last
part of each request); writes are listed but not explained (``EXPLAIN ANALYZE`` would run them again).
"""

import sys
import time


def main(argv: list[str]) -> None:
    from tests.benchmarks.probe_kind import setup_day

    day, finish = setup_day()
    from django.db import connection

    try:
        for kind in argv:
            seen = []

            def caught(execute, sql, params, many, context, seen=seen):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    seen.append((sql, params, many, time.perf_counter() - started))

            with connection.execute_wrapper(caught):
                getattr(day, kind)()
            print(f"== {kind}: {len(seen)} statements")
            for sql, params, many, seconds in seen:
                print(f"{1000 * seconds:7.2f} ms  {' '.join(sql.split())[:150]}")
                if many or not sql.lstrip().upper().startswith("SELECT") or " FOR UPDATE" in sql.upper():
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                    plan = cursor.fetchone()[0][0]
                jit = f", JIT {plan['JIT']['Timing']['Total']:.1f} ms" if "JIT" in plan else ""
                print(
                    f"           planned in {plan['Planning Time']:.2f} ms, ran in {plan['Execution Time']:.2f} ms{jit}"
                )
    finally:
        finish()


if __name__ == "__main__":
    main(sys.argv[1:])
