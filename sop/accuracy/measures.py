"""Accuracy measures over cells (pure, no database).

A cell is one customer x item x forecast month: the actual cases sold (A) and what each
forecast said (F). Over the cells of a row (a cycle, a rep, a customer, ...):

- WMAPE = sum |A - F| / sum |A|: the error per case sold; errors of opposite sign never cancel;
- bias = sum (F - A) / sum A: positive = over-forecast (more planned than sold);
- MAPE = the mean of |A - F| / A over the cells with A > 0 (the months of each series that
  sold something; a month with A = 0 has no percentage error). Unweighted: small series
  count as much as big ones, which is why WMAPE is the headline figure.

Forecast value added (FVA) compares the error of the submitted plan with the error of a
simpler forecast over the same cells: FVA = (WMAPE of the simpler forecast) - (WMAPE of the
plan), in percentage points; positive = the plan adds value. Against the naive forecast every
cell counts; against the statistical baseline only the cells that have one (a pair without a
baseline is left out of both sides, and how many were left out is said)."""

from __future__ import annotations

from dataclasses import dataclass, field


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class ForecastError:
    """One forecast's error sums over some cells."""

    actual: float = 0.0  # sum A
    actual_abs: float = 0.0  # sum |A| (differs from sum A only when returns made A < 0)
    abs_error: float = 0.0  # sum |A - F|
    signed: float = 0.0  # sum (F - A)
    percentage_errors: float = 0.0  # sum |A - F| / A over the cells with A > 0
    sold_cells: int = 0  # cells with A > 0

    def add(self, actual: float, forecast: float) -> None:
        error = abs(actual - forecast)
        self.actual += actual
        self.actual_abs += abs(actual)
        self.abs_error += error
        self.signed += forecast - actual
        if actual > 0:
            self.percentage_errors += error / actual
            self.sold_cells += 1

    def merge(self, other: ForecastError) -> None:
        self.actual += other.actual
        self.actual_abs += other.actual_abs
        self.abs_error += other.abs_error
        self.signed += other.signed
        self.percentage_errors += other.percentage_errors
        self.sold_cells += other.sold_cells

    @property
    def wmape(self) -> float | None:
        """sum |A - F| / sum |A| (a fraction: 0.25 = 25 %); None when nothing was sold."""
        return _ratio(self.abs_error, self.actual_abs)

    @property
    def bias(self) -> float | None:
        """sum (F - A) / sum A; None when nothing was sold."""
        return _ratio(self.signed, self.actual)

    @property
    def mape(self) -> float | None:
        """Mean |A - F| / A over the cells with A > 0; None when there are none."""
        return _ratio(self.percentage_errors, self.sold_cells)


def _value_added(simpler: float | None, plan: float | None) -> float | None:
    return None if simpler is None or plan is None else simpler - plan


@dataclass
class Tally:
    """The plan, the naive forecast and the baseline over the same cells, side by side.
    `baseline` and `plan_on_baseline` cover only the cells with a baseline."""

    plan: ForecastError = field(default_factory=ForecastError)
    naive: ForecastError = field(default_factory=ForecastError)
    baseline: ForecastError = field(default_factory=ForecastError)
    plan_on_baseline: ForecastError = field(default_factory=ForecastError)
    cells: int = 0
    cells_without_baseline: int = 0

    def add(self, actual: float, plan: float, naive: float, baseline: float | None) -> None:
        """One cell. `baseline` None: the pair had no baseline in that cycle."""
        self.cells += 1
        self.plan.add(actual, plan)
        self.naive.add(actual, naive)
        if baseline is None:
            self.cells_without_baseline += 1
        else:
            self.baseline.add(actual, baseline)
            self.plan_on_baseline.add(actual, plan)

    def merge(self, other: Tally) -> None:
        for name in ("plan", "naive", "baseline", "plan_on_baseline"):
            getattr(self, name).merge(getattr(other, name))
        self.cells += other.cells
        self.cells_without_baseline += other.cells_without_baseline

    @property
    def actual(self) -> float:
        return self.plan.actual

    @property
    def value_added_vs_naive(self) -> float | None:
        """Naive WMAPE - plan WMAPE over every cell (positive: the plan is better)."""
        return _value_added(self.naive.wmape, self.plan.wmape)

    @property
    def value_added_vs_baseline(self) -> float | None:
        """Baseline WMAPE - plan WMAPE over the cells with a baseline."""
        return _value_added(self.baseline.wmape, self.plan_on_baseline.wmape)

    @property
    def adds_value(self) -> bool | None:
        """Whether the plan's error is lower than the baseline's (None: no baseline)."""
        value = self.value_added_vs_baseline
        return None if value is None else value > 0
