"""Run every ``tests/benchmarks/bench_*.py`` against PostgreSQL and record the figures.

Needs ``DATABASE_URL`` pointing at PostgreSQL (``make bench`` sets it when PostgreSQL
answers on 127.0.0.1:5432). The figures are taken in a separate database,
``harbour_bench``, created on first use and migrated on every run, so nothing touches the
development or test data (``BENCH_DATABASE`` names another one, e.g. for a smoke run). Each
module's ``run()`` returns a list of figures::

    {"name": str, "value": float, "unit": str, "target": str, "ok": bool | None, "note": str,
     "repeats": int}

``repeats`` is how many repeated measurements the value summarises: a time or rate is their
median (a p95 their 95th percentile, a ratio one of two such medians), a count (queries,
overbooked slots) must hold in every one of them; the table shows it in its "runs" column.

The runner prints them as JSON and as a table, writes ``docs/BENCHMARKS.json`` and
regenerates ``docs/BENCHMARKS.md`` (with each module's ``NOTES``, e.g. before/after
figures of an optimisation). Usage: ``python -m tests.benchmarks [module-name ...]``.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "harbour_bench")
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def bench_database_url() -> str:
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour")
    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
    connection.close()
    prefix, _slash, _name = url.partition("?")[0].rpartition("/")
    return f"{prefix}/{BENCH_DATABASE}"


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Sign with a throw-away key: benchmarks never touch the project's key file.
    os.environ.setdefault("LEDGER_SIGNING_KEY", base64.b64encode(b"harbour-single-window-benchmark!").decode())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def discover(selected: list[str]) -> list[str]:
    names = sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))
    return [name for name in names if not selected or name in selected or name.removeprefix("bench_") in selected]


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(figures: list[dict]) -> str:
    lines = [
        "| benchmark | value | unit | runs | target | met | note |",
        "| --- | ---: | --- | ---: | --- | --- | --- |",
    ]
    for figure in figures:
        met = {True: "yes", False: "**NO**", None: "—"}[figure.get("ok")]
        runs = figure.get("repeats", "see note")
        lines.append(
            f"| {figure['name']} | {format_value(figure['value'])} | {figure['unit']} | {format_value(runs)} | "
            f"{figure.get('target', '')} | {met} | {figure.get('note', '')} |"
        )
    return "\n".join(lines)


def cpu_model() -> str:
    """The processor's name (Linux: ``/proc/cpuinfo``): sessions run on machines of the same size but not the
    same speed, so figures of different runs are compared knowing which processor took them."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _colon, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or "processor unknown"


def command_of(argv: list[str]) -> str:
    """How the run was started: ``make bench`` runs every module; naming modules runs only those."""
    return f"python -m tests.benchmarks {' '.join(argv)}" if argv else "make bench"


def write_docs(results: dict[str, list[dict]], notes: dict[str, str], elapsed: float, command: str) -> None:
    DOCS.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    machine = (
        f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs ({cpu_model()}), Python "
        f"{platform.python_version()}; load average at the end of the run {load}"
    )
    previous, previous_notes, measured = {}, {}, {}
    json_path = DOCS / "BENCHMARKS.json"
    if json_path.exists():
        stored = json.loads(json_path.read_text())
        previous, previous_notes = stored.get("modules", {}), stored.get("notes", {})
        # Sections kept from an earlier run keep its date, machine and command (files written before this
        # was recorded per section: the file's own).
        earlier = {key: stored.get(key, "not recorded") for key in ("date", "machine", "command")}
        measured = {module: stored.get("measured", {}).get(module, earlier) for module in previous}
    previous.update(results)
    previous_notes.update(notes)
    measured.update({module: {"date": now, "machine": machine, "command": command} for module in results})
    notes = previous_notes
    json_path.write_text(
        json.dumps(
            {
                "date": now,
                "machine": machine,
                "command": command,
                "modules": previous,
                "notes": notes,
                "measured": measured,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    sections = [
        "# Benchmarks\n",
        "Generated by `make bench` (`python -m tests.benchmarks`, or with module names for some of them);",
        "do not edit by hand — change the benchmark modules in `tests/benchmarks/` and run it again. The",
        f"figures of a section are from one run on one machine against a real PostgreSQL database (`{BENCH_DATABASE}`),",
        "which the section's first line names; compare figures within a section, not across runs or machines.\n",
        "Each value summarises repeated measurements taken in that run: a time or a rate is their",
        "**median** (a p95 their 95th percentile), a comparison is the ratio of two such medians taken",
        "in the same run, and a count (queries, overbooked slots) must hold in every one of them. The",
        "**runs** column says how many measurements that is; the note gives their range where it",
        "matters. A figure measured once says so in its note (1 in the runs column).\n",
        f"- date of the last run: {now}",
        f"- machine: {machine}",
        f"- command: `{command}`",
        f"- duration of this run: {elapsed:.0f} s\n",
    ]
    for module, figures in previous.items():
        sections.append(f"## {module.removeprefix('bench_')}\n")
        run = measured[module]
        sections.append(f"Measured {run['date']} by `{run['command']}` on {run['machine']}.\n")
        sections.append(table(figures) + "\n")
        if notes.get(module):
            sections.append(notes[module].strip() + "\n")
    (DOCS / "BENCHMARKS.md").write_text("\n".join(sections))


def main(argv: list[str]) -> int:
    setup_django()
    results, notes = {}, {}
    started = time.perf_counter()
    # Every module measures at scale: the generated declarations are topped up first (the officer module
    # reports how long that took; BENCH_OFFICER_DECLARATIONS sets how many, e.g. fewer for a smoke run).
    from django.db import reset_queries

    from tests.benchmarks.bench_officer import TARGET_DECLARATIONS, ensure_data

    print(f"== data: {TARGET_DECLARATIONS:,} generated declarations", file=sys.stderr, flush=True)
    ensure_data()
    for name in discover(argv):
        module = importlib.import_module(f"tests.benchmarks.{name}")
        if not hasattr(module, "run"):  # e.g. bench_settings, the benchmark gunicorn's settings
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        # Django's query log is bounded (9,000): once full, a query capture counts nothing. The top-up above
        # and earlier modules fill it, so each module starts with it empty.
        reset_queries()
        results[name] = module.run()
        notes[name] = getattr(module, "NOTES", "")
        # After each module: a later one that fails does not take these figures with it.
        write_docs({name: results[name]}, {name: notes[name]}, time.perf_counter() - started, command_of(argv))
    elapsed = time.perf_counter() - started
    print(json.dumps(results, indent=2, ensure_ascii=False))
    for name, figures in results.items():
        print(f"\n{name}\n{table(figures)}")
    write_docs(results, notes, elapsed, command_of(argv))
    print(f"\nWrote {DOCS / 'BENCHMARKS.md'} and {DOCS / 'BENCHMARKS.json'}")
    missed = [f["name"] for figures in results.values() for f in figures if f.get("ok") is False]
    if missed:
        print("Targets missed: " + "; ".join(missed), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
