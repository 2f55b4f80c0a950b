"""How a request came in, in htmx terms (DESIGN.md §4)."""

from typing import Any

from flask import render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (not a boosted page navigation)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def page_or_fragment(template: str, block: str = "results", **context: Any) -> str:
    """The whole page, or only its `block` for an htmx request that swaps part of it."""
    if wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)
