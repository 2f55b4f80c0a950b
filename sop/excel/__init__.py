"""Readers and writers of the spreadsheet formats users have (DOMAIN.md §5): pure functions."""
