"""Write the mid-size company (fixed seed) as xlsx files in the import formats:
10 reps, 300 customers, 1,500 items, 20,000 customer x item pairs, 24 months of sales
history (480,000 rows) and budget. Usage: python bench/gen_data.py [--force]"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime

from common import DATA_DIR, print_result, print_table
from openpyxl import Workbook

from sop.dev.demo_company import MID_SIZE, CompanyGenerator
from sop.excel.masterdata import FORMATS

TODAY = date(2026, 11, 1)  # fixed, so every run writes the same files
FILES = {"customers": "customers.xlsx", "products": "items.xlsx", "prices": "prices.xlsx",
         "sales": "sales_history.xlsx", "budget": "budget.xlsx"}


def company() -> CompanyGenerator:
    return CompanyGenerator(MID_SIZE, TODAY)


def write(kind: str, rows) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(FORMATS[kind].title)
    sheet.append([f.template_header for f in FORMATS[kind].fields])
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(DATA_DIR / FILES[kind])
    return count


def generate(force: bool = False) -> dict[str, int]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not force and all((DATA_DIR / name).exists() for name in FILES.values()):
        return {}
    c = company()
    counts = {
        "customers": write("customers", (
            [x.code, x.name, x.sop_name, x.rep_email, x.territory, x.corporate_group, None,
             x.city, None, None, "US", None, None, None, x.payment_terms, x.credit_limit, "Yes"]
            for x in c.customers)),
        "items": write("products", (
            [p.item_code, p.description, p.group_code, p.subgroup, p.group_description,
             p.category, p.manufacturing_location, p.manufacturing_line, p.pack_size, p.weight,
             "CS", p.list_price, p.cost_price, "USD", "Yes"] for p in c.products)),
        "prices": write("prices", (
            [p.customer_code, p.item_code, p.price,
             datetime(p.effective_from.year, p.effective_from.month, 1), "Yes"]
            for p in c.prices)),
        "sales_rows": write("sales", (
            [s.customer_code, s.item_code, s.year, s.month, s.quantity, s.unit_price, s.sales,
             s.cogs, s.gross_profit] for s in c.sales())),
        "budget_rows": write("budget", (
            [b.rep_email, b.sop_name, b.year, b.month, b.cases, b.sales] for b in c.budget())),
    }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="write the files again")
    started = time.perf_counter()
    counts = generate(parser.parse_args().force)
    seconds = time.perf_counter() - started
    print_table([(name, f"{n:,}") for name, n in counts.items()] or [("files", "already there")])
    print_table([("directory", str(DATA_DIR)), ("seconds", f"{seconds:.1f}")])
    print_result({**counts, "seconds": round(seconds, 1)})


if __name__ == "__main__":
    main()
