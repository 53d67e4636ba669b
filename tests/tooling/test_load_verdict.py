"""How the load benchmark judges its runs (``tests/benchmarks/bench_load.py``) and records where its figures came
from (``tests/benchmarks/__main__.py``): the issue-target verdict and the documents are only as honest as these
pure functions, which no benchmark run checks."""

import json

import pytest

from tests.benchmarks import __main__ as bench_main
from tests.benchmarks import bench_load
from tests.benchmarks.bench_load import (
    CONFIGURATIONS,
    beyond_target,
    capacity_figure,
    meets_targets,
    scale_out_figure,
    sustains,
)

OFFICER_PAGE = bench_load.OFFICER_PAGES[0]


def run(
    scale: float = 1.0,
    *,
    submitted: float = 50.0,
    records: float = 2000.0,
    arrived: tuple[float, float] | None = None,
    p95: float = 120.0,
    configuration=CONFIGURATIONS[-1],
) -> dict:
    """One run's result as ``run_configuration`` returns it, for the parts the verdict reads."""
    arrived_submissions, arrived_records = arrived or (submitted, records)
    web, workers, pages = configuration
    return {
        "scale": scale,
        "web": web,
        "workers": workers,
        "pages": pages,
        "offered_per_second": {"submissions": 50.0 * scale, "logistics records": 2000.0 * scale},
        "arrived_per_second": {"submissions": arrived_submissions, "logistics records": arrived_records},
        "accepted_per_second": {"submissions": submitted, "logistics records": records},
        "kinds": {name: {"p95_ms": p95} for name in bench_load.OFFICER_PAGES},
    }


def test_a_run_sustains_what_arrived_not_the_nominal_rate():
    # A Poisson draw below the nominal rate, all of it accepted: sustained, though under the target's figures.
    low_draw = run(submitted=48.0, records=1950.0)
    assert sustains(low_draw)
    assert not meets_targets(48.0, 1950.0, 120.0)


@pytest.mark.parametrize(
    "result",
    [
        run(submitted=45.0, arrived=(50.0, 2000.0)),  # 90% of the submissions accepted
        run(records=1800.0, arrived=(50.0, 2000.0)),  # 90% of the records accepted
        run(p95=301.0),  # an officer page too slow
    ],
)
def test_a_run_that_falls_behind_or_keeps_officers_waiting_is_not_sustained(result):
    assert not sustains(result)


def test_a_page_never_answered_counts_as_too_slow():
    result = run()
    del result["kinds"][OFFICER_PAGE]
    assert bench_load.officer_p95(result) == float("inf")
    assert not sustains(result)


def test_the_target_is_met_only_beyond_it_with_the_targets_rates_accepted():
    full = [run(1.0), run(1.0), run(1.0)]
    above = run(1.5, submitted=75.0, records=3000.0)
    assert beyond_target(1.5, [*full, above])
    # The search stayed at the target: nothing above it was sustained.
    failed_above = run(1.5, submitted=60.0, records=3000.0, arrived=(75.0, 3000.0))
    assert not beyond_target(1.0, [*full, failed_above])
    # A run above the target whose draw fell short of the target's rates does not show the target met.
    short_draw = run(1.0625, submitted=49.0, records=2100.0)
    assert sustains(short_draw)
    assert not beyond_target(1.0625, [*full, short_draw])


def test_capacity_figure_lists_every_step_and_is_met_from_the_whole_target():
    tried = [
        run(0.5, submitted=25.0, records=1000.0),
        run(0.75, submitted=30.0, records=1500.0, arrived=(37.5, 1500.0)),
        run(0.625, submitted=31.0, records=1250.0),
    ]
    figure = capacity_figure(0.625, tried)
    assert figure["value"] == 0.625
    assert figure["ok"] is False
    assert figure["repeats"] == 3
    assert "31.2 submissions/s with 1,250 records/s" in figure["note"]
    assert figure["note"].count("— sustained") == 2
    assert figure["note"].count("— not sustained") == 1
    assert capacity_figure(1.0, [run(1.0)])["ok"] is True


def test_scale_out_is_the_capacity_over_the_smallest_configurations():
    capacity = (0.8, [run(0.8, configuration=CONFIGURATIONS[-2])])
    smallest = (0.2, [run(0.2, configuration=CONFIGURATIONS[0])])
    figure = scale_out_figure(CONFIGURATIONS[-2], capacity, smallest)
    assert figure["value"] == 4.0
    assert figure["ok"] is True
    assert figure["repeats"] == 2
    # Nothing sustained by the smallest: no ratio to claim.
    nothing = scale_out_figure(CONFIGURATIONS[-2], capacity, (0.0, smallest[1]))
    assert nothing["value"] == 0.0
    assert nothing["ok"] is False


def test_command_of_names_what_was_run():
    assert bench_main.command_of([]) == "make bench"
    assert bench_main.command_of(["cost", "load"]) == "python -m tests.benchmarks cost load"


def test_a_section_kept_from_an_earlier_run_keeps_its_own_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_main, "DOCS", tmp_path)
    figure = {"name": "f", "value": 1, "unit": "ms", "target": "", "ok": None, "repeats": 1, "note": ""}
    bench_main.write_docs({"bench_cost": [figure]}, {"bench_cost": ""}, 1.0, "python -m tests.benchmarks cost")
    first = json.loads((tmp_path / "BENCHMARKS.json").read_text())["measured"]["bench_cost"]
    bench_main.write_docs({"bench_load": [figure]}, {"bench_load": ""}, 1.0, "python -m tests.benchmarks load")
    stored = json.loads((tmp_path / "BENCHMARKS.json").read_text())
    assert stored["measured"]["bench_cost"] == first
    assert stored["measured"]["bench_load"]["command"] == "python -m tests.benchmarks load"
    assert stored["command"] == "python -m tests.benchmarks load"
    document = (tmp_path / "BENCHMARKS.md").read_text()
    cost, load = document.split("## cost\n")[1].split("## load\n")
    assert "by `python -m tests.benchmarks cost`" in cost
    assert "by `python -m tests.benchmarks load`" in load
