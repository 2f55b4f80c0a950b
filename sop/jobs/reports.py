"""Report jobs (queue `reports`): thin wrappers around the report services."""

from __future__ import annotations


def build_report(report_id: str) -> str:
    from sop.reports.services import build_report as build

    return build(report_id)
