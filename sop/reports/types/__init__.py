"""Report types, one module each (DESIGN.md §2: reports/types/<one>.py); importing
sop.reports registers them."""
