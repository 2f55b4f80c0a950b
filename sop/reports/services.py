"""Requesting, building, serving, e-mailing and expiring reports (DOMAIN.md §6).

A request identical to a finished report (same type, filters and scope) whose data versions
(sop.dataversions) still match is served from that report's file at once; anything else is
built by a worker (queue `reports`, `sop.jobs.reports.build_report`). Files live in GridFS
(bucket "reports") until `report_expiry_days` after the last report row that points at them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from pathlib import Path

import gridfs
from bson import ObjectId
from mongoengine.connection import get_db
from redis.exceptions import RedisError
from rq.timeouts import JobTimeoutException

from sop.audit import record_audit
from sop.clock import now
from sop.dataversions import current_versions
from sop.downloads import XLSX_MIMETYPE
from sop.errors import QUEUE_DOWN
from sop.extensions import redis_queues
from sop.jobs.runner import cycle_collector_paused
from sop.listing import cached_choices
from sop.models import Customer, Cycle, Product, Report, User
from sop.pagination import Page, paginate
from sop.reports.book import filters_in_words
from sop.reports.registry import (
    REPORT_TYPES,
    ReportContext,
    ReportFilters,
    ReportType,
    out_of_scope,
)
from sop.security import SEES_ALL_ROLES, scoped
from sop.settings import get_setting
from sop.user_input import EmailRefused, email_address

log = logging.getLogger(__name__)

REPORT_BUCKET = "reports"
JOB_TIMEOUT = 30 * 60
PROGRESS_SECONDS = 0.5  # at most one progress write per this many seconds (stage changes: now)
CACHE_CANDIDATES = 5
MAX_RECIPIENTS = 20
INTERRUPTED = "The worker stopped before the report was finished; generate it again."


class ReportRefused(ValueError):
    """A request the user can correct; `errors` are the sentences to show."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


def _files() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=REPORT_BUCKET)


def report_type(kind: str | None) -> ReportType:
    found = REPORT_TYPES.get(kind or "")
    if found is None:
        raise ReportRefused(["Choose a report type."])
    return found


def report_scope(user: User) -> str:
    """Whose data a report of `user` holds: "all" (admins, managers) or the rep's id."""
    return "all" if user.role in SEES_ALL_ROLES else str(user.pk)


def cache_key(kind: str, filters: ReportFilters, scope: str) -> str:
    text = json.dumps({"kind": kind, "filters": filters.as_dict(), "scope": scope},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _versions(kind: ReportType) -> dict[str, str] | None:
    return current_versions(redis_queues.redis, kind.collections, stored_unsent=True)


def request_report(actor: User, kind: str, filters: ReportFilters) -> Report:
    """A finished report at once when an identical one's data has not changed, else a report
    queued for the worker. Raises ReportRefused when the filters do not fit the type."""
    chosen = report_type(kind)
    filters = filters.only(chosen.filters)
    errors = chosen.validate(filters) or out_of_scope(filters, actor)
    if errors:
        raise ReportRefused(errors)
    scope = report_scope(actor)
    key = cache_key(chosen.key, filters, scope)
    source = _cached_source(key, _versions(chosen))
    if source is not None:
        report = Report(
            kind=chosen.key, filters=filters.as_dict(), scope=scope, cache_key=key,
            requested_by=actor, status="done", cached=True, file_id=source.file_id,
            file_name=source.file_name, size=source.size, data_versions=source.data_versions,
            started_at=source.started_at, finished_at=source.finished_at,  # the file's
            expires_at=_expiry(),
            stage="Served from the stored file", done=1, total=1,
        ).save()
        record_audit("report_generated", f"Report {chosen.title} "
                     f"({filters_in_words(filters, actor)}) served from cache: the data has not "
                     "changed since it was built.",
                     actor=actor, entity_type="report", entity_id=report.pk)
        return report
    report = Report(kind=chosen.key, filters=filters.as_dict(), scope=scope, cache_key=key,
                    requested_by=actor, stage="Waiting for a worker").save()
    try:
        job = redis_queues.queue("reports").enqueue(
            "sop.jobs.reports.build_report", str(report.pk), job_timeout=JOB_TIMEOUT,
            description=f"Build the {chosen.title} report for {actor.email}")
    except RedisError:
        report.delete()  # never left waiting for a job that does not exist
        raise ReportRefused([QUEUE_DOWN]) from None
    Report.objects(id=report.pk).update_one(set__job_id=job.id)
    return report.reload()


def _cached_source(key: str, versions: dict[str, str] | None) -> Report | None:
    """The latest finished, unexpired report with this key built on data still current."""
    if versions is None:
        return None
    candidates = Report.objects(cache_key=key, status="done",
                                expires_at__gt=now()).order_by("-finished_at")
    for candidate in candidates.limit(CACHE_CANDIDATES):
        if candidate.data_versions == versions:
            return candidate
    return None


def _expiry():
    return now() + timedelta(days=int(get_setting("report_expiry_days")))


def progress_writer(report_id: ObjectId) -> Callable[[str, int, int | None], None]:
    """The `progress` of a ReportContext: a new stage is written at once, counts at most
    every PROGRESS_SECONDS (builders may call it every few thousand rows)."""
    last = {"stage": None, "at": 0.0}

    def progress(stage: str, done: int, total: int | None = None) -> None:
        moment = time.monotonic()
        if stage == last["stage"] and moment - last["at"] < PROGRESS_SECONDS:
            return
        last.update(stage=stage, at=moment)
        Report.objects(id=report_id).update_one(set__stage=stage, set__done=done,
                                                set__total=total)

    return progress


@cycle_collector_paused()
def build_report(report_id: str) -> str:
    """Build one queued report into GridFS (worker job). A failure is recorded on the report
    in words the requester can read, then raised so the job shows as failed."""
    report = Report.objects(id=report_id).first()
    if report is None or report.status == "done":  # a failed one requeued by an admin: again
        return "nothing to do"
    chosen = report_type(report.kind)
    Report.objects(id=report.pk).update_one(set__status="running", set__started_at=now(),
                                            set__stage="Starting", set__error=None)
    versions = _versions(chosen)  # before reading: later writes make the file stale, not new
    filters = ReportFilters.from_mapping(report.filters)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="report-") as work:
            path = Path(work) / "report.xlsx"
            chosen.build(ReportContext(filters=filters, viewer=report.requested_by, path=path,
                                       progress=progress_writer(report.pk),
                                       generated_at=now()))
            file_name = f"{chosen.key.replace('_', '-')}-{now():%Y%m%d-%H%M}.xlsx"
            with path.open("rb") as data:
                file_id = _files().put(data, filename=file_name, contentType=XLSX_MIMETYPE,
                                       report_id=report.pk)
            size = path.stat().st_size
    except Exception as exc:
        Report.objects(id=report.pk).update_one(set__status="failed", set__error=_failure(exc),
                                                set__finished_at=now(),
                                                set__expires_at=_expiry())
        raise
    Report.objects(id=report.pk).update_one(
        set__status="done", set__file_id=file_id, set__file_name=file_name, set__size=size,
        set__data_versions=versions or {}, set__finished_at=now(), set__expires_at=_expiry(),
        set__stage="Done")
    seconds = time.perf_counter() - started
    record_audit("report_generated", f"Report {chosen.title} "
                 f"({filters_in_words(filters, report.requested_by)}) built in {seconds:.1f} s, "
                 f"{size:,} bytes.",
                 actor=report.requested_by, entity_type="report", entity_id=report.pk)
    return f"built {file_name} ({size:,} bytes) in {seconds:.1f} s"


def _failure(exc: Exception) -> str:
    if isinstance(exc, JobTimeoutException):
        return (f"The report took longer than {JOB_TIMEOUT // 60} minutes and was stopped. "
                "Narrow the filters (fewer months, one rep or territory) and try again.")
    if isinstance(exc, ValueError):  # builders raise these with a sentence for the user
        return str(exc)
    return (f"The report could not be built ({type(exc).__name__}). The error is on the "
            "administrators' jobs page; try again later.")


def open_report_file(actor: User, report: Report) -> gridfs.GridOut:
    """The stored file of a finished, unexpired report (audited download)."""
    if not report.available:
        raise ReportRefused(["This report has no file to download (not finished, failed or "
                             "expired)."])
    try:
        stored = _files().get(report.file_id)
    except gridfs.errors.NoFile:
        raise ReportRefused(["The file of this report is gone: generate it again."]) from None
    Report.objects(id=report.pk).update_one(inc__downloads=1)
    record_audit("report_downloaded", f"Downloaded report {report_title(report)} "
                 f"({report.file_name}).", actor=actor, entity_type="report",
                 entity_id=report.pk)
    return stored


def parse_addresses(text: str) -> list[str]:
    """Comma- (or semicolon-, space-) separated addresses, each checked."""
    addresses = [part for part in re.split(r"[,;\s]+", text or "") if part]
    if not addresses:
        raise ReportRefused(["Give at least one e-mail address."])
    checked, wrong = set(), []
    for address in addresses:
        try:
            checked.add(email_address(address))
        except EmailRefused:
            wrong.append(address)
    if wrong:
        raise ReportRefused([f"Not an e-mail address: {', '.join(wrong)}."])
    unique = sorted(checked)
    if len(unique) > MAX_RECIPIENTS:
        raise ReportRefused([f"At most {MAX_RECIPIENTS} addresses at a time."])
    return unique


def email_report(actor: User, report: Report, addresses: list[str]) -> bool:
    """Queue the report for `addresses` (a job per recipient): attached when it is at most
    `report_email_max_mb`, else as a link to its download. True when attached."""
    from sop.mail import AttachmentRef, absolute_url, send_email

    if not report.available:
        raise ReportRefused(["Only a finished, unexpired report can be e-mailed."])
    updated = Report.objects(id=report.pk).modify(inc__emails_sent=1, new=True)
    attached = report.size <= int(get_setting("report_email_max_mb")) * 1024 * 1024
    title = report_title(report)
    send_email(
        "report_delivery", to=addresses, subject=f"Report: {title}",
        context={"title": title, "sent_by": actor.full_name or actor.email,
                 "attached": attached, "filters_text": report_filters_text(report),
                 "generated_at": report.finished_at, "size": report.size,
                 "expires_at": report.expires_at,
                 "download_url": absolute_url("reports.download", report_id=report.pk)},
        event_key=f"report:{report.pk}:{updated.emails_sent}",
        attachment=AttachmentRef(file_id=str(report.file_id), filename=report.file_name,
                                 gridfs_bucket=REPORT_BUCKET) if attached else None,
    )
    how = "attached" if attached else "as a link (too large to attach)"
    record_audit("report_emailed", f"E-mailed report {title} {how} to {', '.join(addresses)}.",
                 actor=actor, entity_type="report", entity_id=report.pk)
    return attached


def fail_interrupted_reports(dead_job_ids: Collection[str] = ()) -> int:
    """Reports whose build job died (worker or work horse killed) are failed with a sentence
    at once, not left running: the requester can generate again, an admin can requeue the
    job. `dead_job_ids`: jobs known dead whose status RQ has not recorded yet."""
    from sop.jobs.recovery import job_is_live

    failed = 0
    for report in Report.objects(status__in=("queued", "running"), cached=False,
                                 job_id__ne=None).only("id", "job_id"):
        if job_is_live(report.job_id, dead_job_ids):
            continue
        failed += Report.objects(id=report.pk, status__in=("queued", "running")).update_one(
            set__status="failed", set__finished_at=now(), set__expires_at=_expiry(),
            set__error=INTERRUPTED)
    return failed


def remove_expired_reports() -> int:
    """Delete expired report rows (finished or failed) and the files no remaining row points
    at (daily cleanup); reports stuck in the queue or running well past the job timeout (a
    worker that died) are marked failed."""
    moment = now()
    stuck = moment - timedelta(seconds=2 * JOB_TIMEOUT)
    Report.objects(status__in=("queued", "running"), created_at__lt=stuck).update(
        set__status="failed", set__finished_at=moment, set__expires_at=_expiry(),
        set__error=INTERRUPTED)
    expired = Report.objects(expires_at__lte=moment)
    file_ids = {file_id for file_id in expired.distinct("file_id") if file_id}
    removed = expired.delete()
    still_used = set(Report.objects(file_id__in=list(file_ids)).distinct("file_id"))
    for file_id in file_ids - still_used:
        _files().delete(file_id)
    return removed


def report_title(report: Report) -> str:
    chosen = REPORT_TYPES.get(report.kind)
    return chosen.title if chosen else report.kind


def report_filters_text(report: Report) -> str:
    """The report's filters in words, as its requester may see them."""
    return filters_in_words(ReportFilters.from_mapping(report.filters), report.requested_by)


def recent_reports(viewer: User, page: int = 1) -> Page:
    """The latest reports: everyone's for admins, one's own for the others."""
    reports = Report.objects if viewer.role == "admin" else Report.objects(requested_by=viewer)
    return paginate(reports.order_by("-created_at"), page, per_page=15, with_references=True)


def filter_choices(viewer: User, names: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options of the select filters among `names`, from what `viewer` may see:
    a rep is offered only themselves as rep and only their own customers and territories."""
    customers = scoped(Customer, viewer).order_by("code")
    options: dict[str, Callable[[], list[tuple[str, str]]]] = {
        "cycle": lambda: [(str(c.pk), f"{c.name} ({c.status})") for c in
                          Cycle.objects(status__ne="draft").only("id", "name", "status")],
        "rep": lambda: [(str(r.pk), r.full_name) for r in scoped(User, viewer).filter(
            role="sales_rep").order_by("full_name_lower").only("id", "full_name")],
        "territory": lambda: [(t, t) for t in sorted(
            t for t in customers.distinct("territory") if t)],
        "customer": lambda: [(str(c.pk), f"{c.code} {c.name}")
                             for c in customers.only("id", "code", "name")],
        "item": lambda: cached_choices(("report-items",), lambda: [
            (str(p.pk), f"{p.item_code} {p.description}")
            for p in Product.objects.order_by("item_code").only("id", "item_code",
                                                                "description")]),
        "group": lambda: cached_choices(("report-groups",), lambda: [
            (g, g) for g in sorted(g for g in Product.objects.distinct("group_description")
                                   if g)]),
    }
    return {name: options[name]() for name in names if name in options}
