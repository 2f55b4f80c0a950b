"""THE place that reads and values a plan (DESIGN.md §2): the price book, a cycle's lines as
planned and valued, plan totals, the previous cycle over the same calendar months, last cycle
rolled forward, the consolidated rows. The grid, workbooks, submissions board, cycle page and
every report call it.

Modules by concept: `arithmetic` (pure per-bucket figures), `prices` (price book, matrix and
catalog look-ups), `lines` (reading and valuing lines), `totals`, `previous`, `rollforward`,
`consolidated`, `baseline` (the statistical baseline of a cycle's pairs). Every function
here takes queries or ids its caller has scoped (sop.security)."""

from sop.plans.arithmetic import (
    effective_prices,
    fallback_price,
    is_empty,
    missing_months,
    pad,
    revenue,
    roll_forward,
    total,
)
from sop.plans.baseline import Baseline, baseline_for, departure
from sop.plans.consolidated import consolidated_rows
from sop.plans.lines import (
    LINE_FIELDS,
    VALUED_LINE_COLLECTIONS,
    ValuedLine,
    frozen_line,
    is_frozen,
    plan_source,
    raw_lines,
    value_line,
    value_lines,
    valued_plan_lines,
)
from sop.plans.previous import (
    SameMonths,
    ShiftedLine,
    over_same_months,
    previous_cycle,
    previous_over_same_months,
)
from sop.plans.prices import (
    MatrixEntry,
    Pair,
    PriceBook,
    cached_catalog,
    catalog,
    customer_matrix,
    customer_price_book,
    fallback_prices,
    matrix,
)
from sop.plans.rollforward import RolledPlan, rolled_forward
from sop.plans.totals import PlanTotals, plan_totals, totals_by

__all__ = [
    "LINE_FIELDS", "VALUED_LINE_COLLECTIONS", "Baseline", "MatrixEntry", "Pair", "PlanTotals",
    "PriceBook", "RolledPlan", "SameMonths", "ShiftedLine", "ValuedLine", "baseline_for",
    "cached_catalog", "catalog", "consolidated_rows", "customer_matrix", "customer_price_book",
    "departure", "effective_prices",
    "fallback_price", "fallback_prices", "frozen_line", "is_empty", "is_frozen", "matrix",
    "missing_months", "over_same_months", "pad", "plan_source", "plan_totals",
    "previous_cycle", "previous_over_same_months", "raw_lines", "revenue", "roll_forward",
    "rolled_forward", "total", "totals_by", "value_line", "value_lines", "valued_plan_lines",
]
