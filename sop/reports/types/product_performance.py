"""Product performance: per item, product group and category, cases, sales $ and GP against the
same months a year before, the customers buying it, share of total and rank."""

from __future__ import annotations

from sop.reports.book import ReportBook
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import ALL_FILTERS, NO_CATEGORY, NO_GROUP, product_labels
from sop.reports.types.performance import (
    PERFORMANCE_COLLECTIONS,
    performance_data,
    performance_notes,
    ranked_sheet,
)


def build_product_performance(ctx: ReportContext) -> None:
    data = performance_data(ctx, with_budget=False)
    ctx.progress("Writing the report", 0, None)
    total = data.total()
    book = ReportBook(ctx, "Product performance", performance_notes(data, False, [
        "Customers: how many customers bought the item (cases or $ not 0) in the months "
        "asked for."]))
    items = data.grouped(lambda customer, product: product)
    ranked_sheet(book, "By item", ("Item code", "Description", "Group", "Category"),
                  [(product_labels(data.products.get(key, {})), measures)
                   for key, measures in items.items()], total, False, ("Customers",))
    for title, name, missing in (("By group", "group_description", NO_GROUP),
                                 ("By category", "category", NO_CATEGORY)):
        grouped = data.grouped(lambda customer, product, name=name, missing=missing: (
            data.products.get(product, {}).get(name) or missing,))
        ranked_sheet(book, title, (title.removeprefix("By ").capitalize(),),
                      grouped.items(), total, False, ("Items", "Customers"))
    book.save()


register(ReportType(
    key="product_performance", title="Product performance",
    description="Per item, product group and category: cases, sales $ and GP against the "
                "same months a year before, customers buying it, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_product_performance))
