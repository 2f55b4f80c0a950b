"""Posting a form to a service: the one way validation and refusals reach the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm

T = TypeVar("T")


class FieldError(ValueError):
    """A service's refusal; `field` names the form field the message belongs next to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def saved(form: FlaskForm, save: Callable[[], T], default_field: str) -> T | None:
    """Validate the posted form and run `save`; a FieldError is shown at its field.
    Returns what `save` returned, or None when the page must be shown again (422)."""
    if not form.validate_on_submit():
        return None
    try:
        return save()
    except FieldError as exc:
        getattr(form, exc.field or default_field).errors.append(str(exc))
        return None
