"""The grid's `plan` fixture (tests/forecasts/test_grid.py), for the other grid tests too."""

from tests.forecasts.test_grid import plan  # noqa: F401 - a fixture, found by its name
