from __future__ import annotations

from typing import Any

from flask import current_app
from flask_mail import Connection, Message

from sop.extensions import mail
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


def deliver_email(message: dict[str, Any]) -> str:
    """Send one composed message; an exception makes RQ retry with backoff."""
    email = Message(
        subject=message["subject"],
        recipients=message["to"],
        body=message["text"],
        html=message["html"],
        sender=(get_setting("from_name"), get_setting("from_email")),
    )
    with smtp_connection() as connection:
        connection.send(email)
    return f"sent to {', '.join(message['to'])}"
