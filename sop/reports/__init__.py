"""Excel reports built by workers, cached by data version, stored in GridFS (DOMAIN.md §6).
Importing the package registers every report type."""

import sop.reports.types  # noqa: F401  (importing it registers every report type)
