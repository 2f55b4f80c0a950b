"""The rep workbook (DOMAIN.md §5.1): read a filled one, write a pre-filled one.

Pure functions: no Flask, no database. The service layer (sop.workbooks) turns database lines
into a `WorkbookPlan` and `CustomerSheet`s back into lines.

- `layout`: the plan a workbook shows and the columns of its sheets;
- `writer`: the pre-filled workbook (`write_rep_workbook`);
- `cells`: an upload's cells as the rep saw them (saved values; where formulas are);
- `classify`: which sheets are customers' and which rows are item rows;
- `reader`: the item rows read (`read_rep_workbook`);
- `values`: one cell's quantity, price, item code or probability.
"""

from sop.excel.rep_workbook.layout import (
    PROBABILITY_RISKS,
    PROBABILITY_TEXTS,
    BaselineRow,
    BudgetRow,
    CatalogItem,
    CustomerSheet,
    Layout,
    SheetLine,
    WorkbookPlan,
)
from sop.excel.rep_workbook.reader import read_rep_workbook
from sop.excel.rep_workbook.values import map_probability
from sop.excel.rep_workbook.writer import write_rep_workbook

__all__ = [
    "PROBABILITY_RISKS",
    "PROBABILITY_TEXTS",
    "BaselineRow",
    "BudgetRow",
    "CatalogItem",
    "CustomerSheet",
    "Layout",
    "SheetLine",
    "WorkbookPlan",
    "map_probability",
    "read_rep_workbook",
    "write_rep_workbook",
]
