"""How a request came in, in htmx terms (DESIGN.md §4)."""

from flask import request


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (not a boosted page navigation)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")
