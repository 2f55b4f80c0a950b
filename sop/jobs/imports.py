"""Import jobs (queue `imports`): thin wrappers around the import services."""

from __future__ import annotations

from typing import Any

from mongoengine import Document


def queue_import_job(function: str, record: Document, description: str) -> Document:
    """Queue the check of an uploaded file (`record`, an ImportLog or a WorkbookUpload) on
    the `imports` queue, within the time one import check may take; the record with its job
    id."""
    from sop.extensions import redis_queues
    from sop.settings import get_setting

    job = redis_queues.queue("imports").enqueue(
        function, str(record.pk), job_timeout=int(get_setting("import_max_seconds")),
        description=description[:100])
    type(record).objects(id=record.pk).update_one(set__job_id=job.id)
    return record.reload()


def validate_import(record_id: str) -> dict[str, Any]:
    from sop.imports.services import validate_import as validate

    return validate(record_id)


def apply_import(record_id: str) -> dict[str, Any]:
    from sop.imports.services import apply_import as apply

    return apply(record_id)
