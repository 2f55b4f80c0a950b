"""The CSV form of the baseline (`flask baseline-csv`): `series,period,value` in, one row per
series and future period `series,period,forecast,method` out. Every problem of the input is
found before anything is fitted and named by line and column."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np

from sop.baseline.engine import SeriesForecast
from sop.months import add_months, months_apart, parse_year_month

INPUT_COLUMNS = ("series", "period", "value")
OUTPUT_COLUMNS = ("series", "period", "forecast", "method")
MAX_LISTED_PROBLEMS = 20


class BaselineInputError(ValueError):
    """The input file cannot be read as series: the message lists every problem found."""


def read_series(path: Path) -> dict[str, tuple[date, np.ndarray]]:
    """{series: (first month, one value per month from there to the file's last month)}: a
    month without a row is a month without sales (0), so a series whose rows stop early
    ends in zeros (and is dead after 12 of them)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(csv.reader(handle))
    except UnicodeDecodeError:
        raise BaselineInputError(f"{path}: not a UTF-8 text file; save it as CSV (UTF-8)."
                                 ) from None
    except OSError as exc:
        raise BaselineInputError(f"{path}: cannot be read ({exc.strerror}).") from None
    except csv.Error as exc:
        raise BaselineInputError(f"{path}: not a readable CSV file ({exc}).") from None


def _read(rows: Iterator[list[str]]) -> dict[str, tuple[date, np.ndarray]]:
    header = next(rows, None)
    if header is None:
        raise BaselineInputError("The file is empty: its first line must be series,period,value.")
    names = [name.strip().lower() for name in header]
    missing = [c for c in INPUT_COLUMNS if c not in names]
    if missing:
        raise BaselineInputError(f"Line 1: the header lacks the column(s) {', '.join(missing)};"
                                 " it must name series,period,value.")
    position = {c: names.index(c) for c in INPUT_COLUMNS}
    values: dict[str, dict[date, float]] = {}
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: row[i].strip() if i < len(row) else "" for c, i in position.items()}
        problem = _row_problem(cells)
        if problem is None:
            month = parse_year_month(cells["period"])
            series = values.setdefault(cells["series"], {})
            if month in series:
                problem = (f"column period: {cells['series']!r} has {cells['period']} twice")
            else:
                series[month] = float(cells["value"])
        if problem is not None:
            problems.append(f"Line {line}, {problem}.")
    if problems:
        more = len(problems) - MAX_LISTED_PROBLEMS
        listed = problems[:MAX_LISTED_PROBLEMS] + ([f"... and {more} more."] if more > 0 else [])
        raise BaselineInputError("Nothing was forecast:\n" + "\n".join(listed))
    if not values:
        raise BaselineInputError("The file has a header but no rows of series,period,value.")
    last = max(max(months) for months in values.values())
    return {name: _monthly(months, last) for name, months in values.items()}


def _row_problem(cells: dict[str, str]) -> str | None:
    if not cells["series"]:
        return "column series: blank (every row names its series)"
    try:
        parse_year_month(cells["period"])
    except ValueError:
        return f"column period: {cells['period']!r} is not a month (write YYYY-MM, e.g. 2025-11)"
    try:
        number = float(cells["value"]) if cells["value"].isascii() else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return f"column value: {cells['value']!r} is not a number"
    return None


def _monthly(months: dict[date, float], last: date) -> tuple[date, np.ndarray]:
    first = min(months)
    history = np.zeros(months_apart(first, last) + 1)
    for month, value in months.items():
        history[months_apart(first, month)] = value
    return first, history


def write_forecasts(path: Path, results: Iterable[tuple[tuple[str, date], SeriesForecast]]
                    ) -> int:
    """Write one row per series and future period (keys: series and its first future month);
    returns the number of series written."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for (series, first_future), result in results:
            for offset, value in enumerate(result.forecast):
                writer.writerow([series, add_months(first_future, offset).strftime("%Y-%m"),
                                 f"{value:.10g}", result.method])
            count += 1
    return count
