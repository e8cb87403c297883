"""`python -m bench`: one table from every benchmark's figures, each next to its floor, and a
failed benchmark said, not hidden. No timing here: the figures are given."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench.figures import Figure

CLICK = Figure(
    bench_main.CLICK_RATIO,
    1.2,
    "ms",
    0.4,
    "bare aiogram-dialog button click",
    "≤ 3x floor",
    True,
)
DIGEST = Figure("digest at 10,000 Offices, SQLite", 0.25, "s", None, "", "< 0.1 s", False)


def test_the_table_shows_each_figure_with_its_floor_ratio_and_whether_it_met_its_target() -> None:
    lines = bench_main.table([CLICK, DIGEST])

    click_row = next(line for line in lines if line.startswith(f"| {CLICK.name} "))
    assert "| 1.20 ms |" in click_row
    assert "0.40 ms (bare aiogram-dialog button click)" in click_row
    assert "| x3.00 |" in click_row
    assert click_row.endswith("| yes |")
    digest_row = next(line for line in lines if line.startswith(f"| {DIGEST.name} "))
    assert digest_row.endswith("| **no** |")


def test_the_report_names_the_in_process_click_ratio_and_the_failed_benchmarks() -> None:
    lines = bench_main.report(
        [CLICK, DIGEST],
        {"dialog_bench": 20.0, "scale_bench": 31.0},
        {"scale_bench": "exit 1"},
        True,
    )

    assert "b/a click ratio: 3.00" in lines
    assert any("quick mode" in line for line in lines)
    assert "scale_bench FAILED (exit 1)" in lines
    assert any(line.endswith("total 51 s.") for line in lines)


def test_readme_gets_the_table_between_its_markers_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Benchmarks\nbefore\n{bench_main.BEGIN}\nold table\n{bench_main.END}\nafter\n"
    )
    monkeypatch.setattr(bench_main, "README", readme)

    bench_main.write_readme(["new table"])

    assert readme.read_text() == (
        f"# Benchmarks\nbefore\n{bench_main.BEGIN}\nnew table\n{bench_main.END}\nafter\n"
    )


def test_a_benchmark_that_crashes_in_its_process_is_reported_as_failed() -> None:
    found, _seconds, failure = bench_main.run_one("no_such_bench", quick=True)

    assert found == []
    assert failure.startswith("exit 1")


def test_the_run_prints_every_figure_and_fails_when_one_benchmark_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = {"good_bench": ([CLICK], 20.0, ""), "bad_bench": ([], 3.0, "exit 1: no database")}
    monkeypatch.setattr(bench_main, "BENCHMARKS", {name: name for name in outcomes})
    monkeypatch.setattr(bench_main, "run_one", lambda module, quick: outcomes[module])

    status = bench_main.main(["--quick"])

    out = capsys.readouterr().out
    assert status == 1
    assert f"| {CLICK.name} |" in out
    assert "bad_bench FAILED (exit 1: no database)" in out


def test_an_unknown_benchmark_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(SystemExit):
        bench_main.parse_args(["--only", "nonsense"])
