"""The browser fixtures (tests/browser/conftest.py) for the cycle flow in a real browser."""

from tests.browser.conftest import browser, live_server, new_page  # noqa: F401
