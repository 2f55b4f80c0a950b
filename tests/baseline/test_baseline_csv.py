"""`flask baseline-csv`: any series in, one row per series and future period out; bad input
is refused with the line and column named, never a traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SEASON = [10, 12, 15, 20, 30, 45, 50, 42, 30, 20, 14, 11]


def run(app, source: Path, out: Path, *options: str):
    return app.test_cli_runner().invoke(args=["baseline-csv", str(source), str(out), *options])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def good_input(path: Path) -> Path:
    rows = ["Series,Period,Value"]
    rows += [f"garlic,{2023 + i // 12}-{i % 12 + 1:02d},{SEASON[i % 12]}" for i in range(36)]
    rows += ["dead,2024-01,5", "dead,2024-02,3"]  # nothing since Feb 2024: dead in Dec 2025
    rows += ["gap,2025-09,8", "gap,2025-12,10"]  # Oct and Nov sold nothing
    return write(path, "\n".join(rows) + "\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_series_gets_one_row_per_future_period(app, tmp_path, jobs):
    out = tmp_path / "out.csv"
    result = run(app, good_input(tmp_path / "in.csv"), out, "--horizon", "4", "--jobs", jobs)
    assert result.exit_code == 0, result.output
    assert "3 series" in result.output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["series", "period", "forecast", "method"]
    by_series: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_series.setdefault(row["series"], []).append(row)
    assert [r["period"] for r in by_series["garlic"]] == ["2026-01", "2026-02", "2026-03",
                                                         "2026-04"]
    assert [round(float(r["forecast"])) for r in by_series["garlic"]] == SEASON[:4]
    assert "seasonal_naive" in by_series["garlic"][0]["method"]
    assert [(r["period"], r["forecast"], r["method"]) for r in by_series["dead"]] == [
        (p, "0", "dead") for p in ("2026-01", "2026-02", "2026-03", "2026-04")]
    assert by_series["gap"][0]["period"] == "2026-01"
    assert all(float(r["forecast"]) >= 0 for r in rows)


def test_the_season_length_is_an_option(app, tmp_path):
    rows = ["series,period,value"] + [f"q,{2020 + i // 12}-{i % 12 + 1:02d},{[5, 9, 20][i % 3]}"
                                      for i in range(24)]
    out = tmp_path / "out.csv"
    result = run(app, write(tmp_path / "in.csv", "\n".join(rows)), out, "--horizon", "3",
                 "--season", "3", "--jobs", "1")
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        assert [round(float(r["forecast"])) for r in csv.DictReader(handle)] == [5, 9, 20]


@pytest.mark.parametrize(("text", "expected"), [
    ("series,period,value\na,2025-01,5\na,2025-02,lots\n",
     "Line 3, column value: 'lots' is not a number"),
    ("series,period,value\na,2025-13,5\n",
     "Line 2, column period: '2025-13' is not a month"),
    ("series,period,value\na,01/02/2025,5\n",
     "Line 2, column period: '01/02/2025' is not a month"),
    ("series,period,value\n,2025-01,5\n", "Line 2, column series: blank"),
    ("series,period,value\na,2025-01,5\na,2025-01,6\n",
     "Line 3, column period: 'a' has 2025-01 twice"),
    ("series,period,value\na,2025-01,nan\n", "Line 2, column value: 'nan' is not a number"),
    ("series,month,value\na,2025-01,5\n", "Line 1: the header lacks the column(s) period"),
    ("", "The file is empty"),
    ("series,period,value\n", "no rows of series,period,value"),
])
def test_bad_input_is_refused_naming_line_and_column(app, tmp_path, text, expected):
    out = tmp_path / "out.csv"
    result = run(app, write(tmp_path / "in.csv", text), out, "--horizon", "3", "--jobs", "1")
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_file_that_is_not_text_or_not_there_is_refused_in_words(app, tmp_path):
    binary = tmp_path / "in.csv"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00garbage")
    for source, expected in ((binary, "not a UTF-8 text file"),
                             (tmp_path / "missing.csv", "cannot be read")):
        result = run(app, source, tmp_path / "out.csv", "--horizon", "3")
        assert result.exit_code != 0 and expected in result.output, result.output
        assert "Traceback" not in result.output


def test_a_horizon_is_required_and_positive(app, tmp_path):
    source = good_input(tmp_path / "in.csv")
    assert run(app, source, tmp_path / "out.csv").exit_code != 0
    result = run(app, source, tmp_path / "out.csv", "--horizon", "0")
    assert result.exit_code != 0 and "--horizon" in result.output
