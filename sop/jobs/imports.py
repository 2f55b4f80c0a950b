"""Import jobs (queue `imports`): thin wrappers around the import services."""

from __future__ import annotations

from typing import Any


def validate_import(record_id: str) -> dict[str, Any]:
    from sop.imports.services import validate_import as validate

    return validate(record_id)


def apply_import(record_id: str) -> dict[str, Any]:
    from sop.imports.services import apply_import as apply

    return apply(record_id)
