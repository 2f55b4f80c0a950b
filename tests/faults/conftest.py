"""Fixtures the fault tests share with other parts of the suite."""

from tests.workbooks.conftest import company  # noqa: F401 - a rep's plan, for the CLI case
