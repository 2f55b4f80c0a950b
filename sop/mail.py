"""Compose e-mails from templates/email/ and hand them to the `mail` queue.

Nothing here talks SMTP: a worker job (sop.jobs.mail.deliver_email) sends, with retries and
backoff, so a slow or failing mail server never slows a page or loses a message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from rq import Retry
from rq.job import Job

from sop.extensions import redis_queues
from sop.settings import get_setting

RETRY_SECONDS = [10, 30, 120, 600]


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """HTML and text bodies; links are absolute, built from BASE_URL (also inside workers)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        html = render_template(f"email/{template}.html", **context)
        text = render_template(f"email/{template}.txt", **context)
    return html, text


def send_email(
    template: str, *, to: list[str], subject: str, context: dict[str, Any],
    notification: str | None = None,
) -> Job | None:
    """Queue one message. `notification` names the `notify_*` setting that must be on;
    notifications also obey `notification_email_enabled`. Account mail (reset links) always goes."""
    if notification is not None and not (
        get_setting("notification_email_enabled") and get_setting(notification)
    ):
        return None
    html, text = render_email(template, {"subject": subject, **context})
    message = {"to": sorted(set(to)), "subject": subject, "html": html, "text": text}
    return redis_queues.queue("mail").enqueue(
        "sop.jobs.mail.deliver_email", message,
        retry=Retry(max=len(RETRY_SECONDS), interval=RETRY_SECONDS),
        description=f"E-mail '{subject}' to {len(message['to'])} recipient(s)",
    )
