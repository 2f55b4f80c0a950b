"""The rows of a bulk upsert (`POST …/bulk`). The OpenAPI document describes them like every
request body: an array of the row schema (types, required fields, ranges, lengths, patterns,
no unknown field). They are checked against that same JSON Schema in one pass (compiled once
by jsonschema-rs) instead of being loaded row by row through marshmallow, which cost 0.6 CPU
seconds for a 20,000-row batch; the rows then go on unchanged to the Excel import's rules
(sop.imports.batch), which convert each value and check what only they know (duplicate keys,
unknown customers or items) once."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema_rs
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

MAX_ERRORS = 1000  # a batch of 20,000 wrong rows answers with the first ones
MAX_MESSAGE = 200  # a validator's message quotes the value: a 1 MB string stays out
Kind = jsonschema_rs.ValidationErrorKind


class BulkRows(fields.List):
    """`rows` of a bulk request: documented as a list of `row`, checked by its JSON Schema."""

    def __init__(self, row: type[Schema], max_rows: int, **kwargs: Any) -> None:
        super().__init__(fields.Nested(row), required=True,
                         validate=validate.Length(1, max_rows), **kwargs)
        self.max_rows = max_rows

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any
                     ) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) > self.max_rows:  # refused unread by the Length validator
            return value
        errors = row_errors(self.inner.schema, value)  # type: ignore[attr-defined]
        if errors:
            raise ValidationError(errors)
        return value


@cache
def _validator(row: type[Schema]) -> jsonschema_rs.Draft202012Validator:
    """The array-of-rows JSON Schema, made by the converter that writes the OpenAPI document
    (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    converter = current_app.extensions["sop_api"].ma_plugin.converter
    schema = copy.deepcopy(converter.schema2jsonschema(row))  # the document's stays as it is
    for spec in schema.get("properties", {}).values():
        for bound in ("minimum", "maximum"):
            # the same number (JSON Schema compares values, not their spelling): jsonschema-rs
            # compares with 1e12 written as an integer 6x faster than with 1000000000000.0
            if isinstance(spec.get(bound), float) and spec[bound].is_integer():
                spec[bound] = int(spec[bound])
    return jsonschema_rs.Draft202012Validator({"type": "array", "items": schema})


def row_errors(row: Schema, rows: list[Any]) -> dict[int, Any] | list[str]:
    """{row index: {field: [message]} or [message]} (marshmallow's shape for a list's errors,
    so the problem names `rows.3.quantity`), or [message] for the whole list; empty when every
    row is as documented."""
    validator = _validator(type(row))
    try:
        if validator.is_valid(rows):
            return {}
        errors: dict[int, Any] = {}
        for count, error in enumerate(validator.iter_errors(rows)):
            if count == MAX_ERRORS:
                break
            _add(errors, list(error.instance_path), error)
    except (ValueError, OverflowError) as exc:  # e.g. a field name that is not valid UTF-8
        return [f"The rows cannot be read: {str(exc)[:MAX_MESSAGE]}"]
    return errors


def _add(errors: dict[int, Any], path: list[Any], error: jsonschema_rs.ValidationError) -> None:
    index, *inside = path
    kind = error.kind
    if isinstance(kind, Kind.AdditionalProperties) and not inside:
        found = {name: ["Unknown field."] for name in kind.unexpected}
    elif isinstance(kind, Kind.Required) and not inside:
        found = {kind.property: ["Missing data for required field."]}
    else:
        message = error.message
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + "…"
        if not inside:  # the row itself is wrong (not an object)
            errors[index] = [message]
            return
        found = {".".join(str(part) for part in inside): [message]}
    row = errors.setdefault(index, {})
    for name, messages in found.items():
        row.setdefault(name, []).extend(messages)
