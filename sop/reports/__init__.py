"""Excel reports built by workers, cached by data version, stored in GridFS (DOMAIN.md §6).
Importing the package registers every report type."""

from sop.reports import types_a, types_b  # noqa: F401  (importing them registers their types)
from sop.reports.types import accuracy  # noqa: F401
