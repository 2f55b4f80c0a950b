"""One module per report type; importing the package registers every type
(sop.reports.registry). `common` holds what they share, `performance` what the three
performance reports share."""

from sop.reports.types import (  # noqa: F401  (importing them registers their types)
    accuracy,
    consolidated,
    customer_performance,
    forecast_summary,
    product_performance,
    sales_summary,
    sales_vs_forecast,
    submission_status,
    territory_performance,
)
