"""Compose e-mails from templates/email/ and hand them to the `mail` queue.

Nothing here talks SMTP: a worker job (sop.jobs.mail.deliver_email) sends, with retries and
backoff, so a slow or failing mail server never slows a page or loses a message.

One job per recipient. A message that belongs to an event (`event_key`: a cycle opening, a
review, a reminder day...) is queued at most once per event and recipient: the key
`mail:event:<event>:<recipient>` is claimed in Redis (SET NX) before queueing, and the delivery
job records `mail:delivered:<event>:<recipient>` so a job run again (requeued by an admin, or
retried after the server took the message) never sends it twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app, render_template, url_for
from rq import Retry
from rq.job import Job

from sop.extensions import redis_queues
from sop.settings import get_setting

RETRY_SECONDS = [10, 30, 120, 600]
EVENT_KEY_TTL = 60 * 24 * 3600  # how long "already sent for this event" is remembered
EVENT_PREFIX = "mail:event:"
DELIVERED_PREFIX = "mail:delivered:"


@dataclass(frozen=True)
class AttachmentRef:
    """A file stored in GridFS, attached by the delivery job (the bytes never go through
    Redis)."""

    file_id: str
    filename: str
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    gridfs_bucket: str = "reports"


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """HTML and text bodies; links are absolute, built from BASE_URL (also inside workers)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        html = render_template(f"email/{template}.html", **context)
        text = render_template(f"email/{template}.txt", **context)
    return html, text


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an e-mail's context, from BASE_URL (not the host of the current request)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def notification_enabled(notification: str) -> bool:
    """A `notify_*` switch is on and e-mail notifications are on at all."""
    return bool(get_setting("notification_email_enabled") and get_setting(notification))


def send_email(
    template: str, *, to: list[str], subject: str, context: dict[str, Any],
    notification: str | None = None, event_key: str | None = None,
    attachment: AttachmentRef | None = None,
) -> list[Job]:
    """Queue one delivery job per recipient; returns the jobs queued (empty: nothing to send).

    `notification` names the `notify_*` setting that must be on; notifications also obey
    `notification_email_enabled`. Account mail (reset links) always goes. With `event_key`, a
    recipient who already has a message for that event gets none."""
    if notification is not None and not notification_enabled(notification):
        return []
    recipients = sorted({address.strip().lower() for address in to if address.strip()})
    if not recipients:
        return []
    html, text = render_email(template, {"subject": subject, **context})
    redis = redis_queues.redis
    queue = redis_queues.queue("mail")
    jobs = []
    for recipient in recipients:
        key = f"{event_key}:{recipient}" if event_key else None
        if key and not redis.set(EVENT_PREFIX + key, 1, nx=True, ex=EVENT_KEY_TTL):
            continue  # this recipient already has (or is getting) this event's message
        message = {"to": [recipient], "subject": subject, "html": html, "text": text,
                   "key": key, "attachment": asdict(attachment) if attachment else None}
        try:
            jobs.append(queue.enqueue(
                "sop.jobs.mail.deliver_email", message,
                retry=Retry(max=len(RETRY_SECONDS), interval=RETRY_SECONDS),
                description=f"E-mail '{subject}' to {recipient}",
            ))
        except Exception:
            if key:  # not queued: the event may be sent later
                redis.delete(EVENT_PREFIX + key)
            raise
    return jobs
