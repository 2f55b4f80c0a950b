"""What people type or upload, checked the same way everywhere: ONE number parser for every
form field, htmx endpoint and import, ONE e-mail address rule (`email_address`: accounts, the
reset form, report recipients, imported rep e-mails) and ONE control-character filter for text.

Python's own `float()` / `Decimal()` accept far more than a person means by a number ("nan",
"inf", "sNaN", "1e309" → inf, Arabic-Indic digits such as "٣"), which then either crashes a page
or is stored as nan/inf. Here a number is ASCII digits (optionally signed, with a decimal point,
an exponent, a leading "$" and thousands commas), finite, and at most `MAX_AMOUNT` in size.
"""

from __future__ import annotations

import math
import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import DecimalField, Field, PasswordField
from wtforms.validators import ValidationError

MAX_AMOUNT = 1e12  # quantities, prices, credit limits, weights, sales figures
MAX_AMOUNT_WORDS = "1,000,000,000,000 (10^12)"
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# C0 and C1 control characters except tab, line feed and carriage return: XML (so xlsx) cannot
# hold most of them, and none of them is ever meant in a name or a note.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class NumberRefused(ValueError):
    """A value that is not a usable number; its text says what to enter instead."""


class EmailRefused(ValueError):
    """A text that is not a usable e-mail address; its text is email_validator's reason."""


def parse_number(raw: Any, label: str = "The value", example: str = "12.5",
                 negative_ok: bool = False) -> float | None:
    """`raw` (form text, or a number read from a workbook cell) as a float; blank → None.
    Raises NumberRefused with a sentence naming `label` for anything else."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NumberRefused(f"Enter a number, like {example}, not TRUE/FALSE.")
    if isinstance(raw, int):  # a huge int would overflow float()
        number = float(raw) if abs(raw) <= MAX_AMOUNT else math.inf
    elif isinstance(raw, float):
        number = raw
    else:
        text = str(raw).strip().replace(",", "").removeprefix("$").strip()
        if not text:
            return None
        if not NUMBER_TEXT.fullmatch(text):
            raise NumberRefused(f"Enter a number, like {example}.")
        number = float(text)
    return checked_number(number, label, example, negative_ok)


def checked_number(number: float, label: str = "The value", example: str = "12.5",
                   negative_ok: bool = False) -> float:
    """`number` when finite, within ±MAX_AMOUNT and (unless `negative_ok`) not negative."""
    if math.isnan(number):
        raise NumberRefused(f"Enter a number, like {example}.")
    if abs(number) > MAX_AMOUNT:  # includes ±inf
        raise NumberRefused(f"{label} must be at most {MAX_AMOUNT_WORDS}; check the number.")
    if number < 0 and not negative_ok:
        raise NumberRefused(f"{label} cannot be negative; enter 0 or more.")
    return number


def parse_index(raw: Any, count: int) -> int | None:
    """An index 0..count-1 written in ASCII digits (a bucket, a position), else None."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    index = int(text)
    return index if index < count else None


def parse_whole(raw: Any) -> int | None:
    """A whole number written in ASCII digits (optionally signed), else None."""
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,15}", text):
        return None
    return int(text)


def email_address(raw: Any) -> str:
    """`raw` as the portal stores an e-mail address: trimmed and lower-cased, when
    email_validator accepts its syntax (no DNS or deliverability check: no network; reserved
    names such as `.local` or `.test` are refused). Raises EmailRefused otherwise."""
    text = str(raw if raw is not None else "").strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailRefused(str(exc)) from None
    return checked.normalized.lower()


class ValidEmailAddress:
    """A WTForms validator: the field must hold what `email_address` accepts."""

    def __init__(self, message: str = "Enter a valid e-mail address.") -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        try:
            email_address(field.data)
        except EmailRefused:
            raise ValidationError(self.message) from None


def clean_text(value: Any) -> Any:
    """`value` without control characters (a WTForms filter; non-text passes unchanged)."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class AmountField(DecimalField):
    """A form field for an amount (price, credit limit, weight): parsed by `parse_number`, so
    it refuses what `parse_number` refuses with the same sentence; its data is a float."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_number(valuelist[0], self.label.text)
        except NumberRefused as exc:
            self.data = None
            raise ValueError(str(exc)) from None


class PortalForm(FlaskForm):
    """The base of every form: each field's input loses its control characters (`clean_text`)
    before validation. Passwords are left exactly as typed."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if not issubclass(unbound_field.field_class, PasswordField):
                options["filters"] = [clean_text, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]

    def data_for_service(self) -> dict[str, Any]:
        """The fields' values by name, without the submit button and the CSRF token."""
        return {name: value for name, value in self.data.items()
                if name not in ("submit", "csrf_token")}
