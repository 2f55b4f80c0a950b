"""Rep workbook jobs (queue `imports`): thin wrappers around the workbook services."""

from __future__ import annotations

from sop.jobs.runner import cycle_collector_paused


@cycle_collector_paused()
def read_workbook_upload(upload_id: str) -> str:
    """Read an uploaded rep workbook and save its preview; the upload's status after it."""
    from sop.workbooks.uploads import read_workbook_upload as read

    return read(upload_id).status
