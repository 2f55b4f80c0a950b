"""Housekeeping jobs run by the scheduler; each is safe to run twice."""

from __future__ import annotations


def archive_audit_log() -> str:
    from sop.admin.services import archive_audit_entries

    moved = archive_audit_entries()
    return f"archived {moved} audit entries"


def cleanup() -> str:
    from sop.admin.services import remove_old_job_records
    from sop.imports.services import recover_interrupted_imports, remove_stale_uploads
    from sop.reports.services import remove_expired_reports
    from sop.settings import get_setting
    from sop.workbooks.uploads import discard_stale_previews

    days = int(get_setting("cleanup_temp_files_days"))
    recovered = recover_interrupted_imports()
    removed = remove_stale_uploads(days)
    discarded = discard_stale_previews(days)
    jobs = remove_old_job_records(int(get_setting("job_history_days")))
    reports = remove_expired_reports()
    return (f"undid {recovered} interrupted imports, removed {removed} stale uploads, "
            f"discarded {discarded} workbook previews nobody confirmed, "
            f"removed {jobs} old job records, removed {reports} expired reports")
