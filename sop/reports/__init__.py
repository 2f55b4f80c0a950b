"""Excel reports built by workers, cached by data version, stored in GridFS (DOMAIN.md §6).
Importing the package registers every report type."""

from importlib.util import find_spec

from sop.reports import registry  # noqa: F401  (first: the type modules register into it)

# TEMPORARY while the builders are being written: import plainly once both modules exist.
for _module in ("sop.reports.types_a", "sop.reports.types_b"):
    if find_spec(_module) is not None:
        __import__(_module)
