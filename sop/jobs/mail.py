"""The delivery job of sop.mail: one message to one recipient, sent once."""

from __future__ import annotations

from typing import Any

import gridfs
from bson import ObjectId
from flask import current_app
from flask_mail import Connection, Message
from mongoengine.connection import get_db

from sop.extensions import mail, redis_queues
from sop.mail import DELIVERED_PREFIX, EVENT_KEY_TTL
from sop.settings import get_setting


def smtp_connection() -> Connection:
    """SMTP from settings (host, port), overridden by MAIL_* environment variables;
    credentials only ever from the environment."""
    config = current_app.config
    state = mail.init_mail({
        "MAIL_SERVER": config["MAIL_SERVER"] or get_setting("smtp_host"),
        "MAIL_PORT": config["MAIL_PORT"] or int(get_setting("smtp_port")),
        "MAIL_USERNAME": config["MAIL_USERNAME"],
        "MAIL_PASSWORD": config["MAIL_PASSWORD"],
        "MAIL_USE_TLS": config["MAIL_USE_TLS"],
        "MAIL_USE_SSL": config["MAIL_USE_SSL"],
        "MAIL_SUPPRESS_SEND": False,
    })
    return Connection(state)  # type: ignore[arg-type]


def _attach(email: Message, ref: dict[str, str]) -> None:
    """The file the reference names, read from GridFS now (a removed file fails the job, which
    stays visible to admins)."""
    stored = gridfs.GridFS(get_db(), collection=ref["gridfs_bucket"]).get(ObjectId(ref["file_id"]))
    email.attach(ref["filename"], ref["content_type"], stored.read())


def deliver_email(message: dict[str, Any]) -> str:
    """Send one composed message; an exception makes RQ retry with backoff. A message of an
    event already delivered (the job was requeued or retried after the server took it) is
    not sent again."""
    key = message.get("key")
    redis = redis_queues.redis
    if key and redis.exists(DELIVERED_PREFIX + key):
        return f"already delivered to {', '.join(message['to'])}"
    email = Message(
        subject=message["subject"],
        recipients=message["to"],
        body=message["text"],
        html=message["html"],
        sender=(get_setting("from_name"), get_setting("from_email")),
    )
    if message.get("attachment"):
        _attach(email, message["attachment"])
    with smtp_connection() as connection:
        connection.send(email)
        if key:  # before QUIT: a failure after the server took the message must not resend
            redis.set(DELIVERED_PREFIX + key, 1, ex=EVENT_KEY_TTL)
    return f"sent to {', '.join(message['to'])}"
