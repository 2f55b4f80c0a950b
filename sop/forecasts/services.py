"""The forecast grid's use cases (DOMAIN.md §3-4): a rep plans one customer at a time.

Cut by use case: `grid` (the read model), `cells` (a cell's compare-and-set),
`line_actions` (add, remove, fill, copy last cycle, history), `values` (a cell as typed and
shown, and the refusals). This module names them for the routes, the API and the tests."""

from sop.forecasts.cells import CellSaved, save_cell, save_probability
from sop.forecasts.grid import (
    Grid,
    GridRow,
    Totals,
    customer_totals,
    customers_missing_months,
    load_grid,
    load_price_rows,
    month_names,
    next_customer_missing,
    rep_customers,
    sales_reps,
)
from sop.forecasts.line_actions import (
    CopyResult,
    add_item,
    catalog_suggestions,
    copy_last_cycle,
    fill_row,
    line_history,
    remove_line,
)
from sop.forecasts.values import Conflict, GridError, PlanLocked, parse_value, short, show

__all__ = [
    "CellSaved", "Conflict", "CopyResult", "Grid", "GridError", "GridRow", "PlanLocked",
    "Totals", "add_item", "catalog_suggestions", "copy_last_cycle", "customer_totals",
    "customers_missing_months", "fill_row", "line_history", "load_grid", "load_price_rows",
    "month_names", "next_customer_missing", "parse_value", "remove_line", "rep_customers",
    "sales_reps", "save_cell", "save_probability", "short", "show",
]
