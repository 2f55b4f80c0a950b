"""MongoEngine connection. Works on real MongoDB and on the embedded server alike."""

from __future__ import annotations

import mongoengine
from flask import Flask
from pymongo.uri_parser import parse_uri


def database_name(uri: str) -> str:
    return parse_uri(uri).get("database") or "sop"


def connect_database(app: Flask) -> None:
    """Connect the default alias; indexes are ensured by `ensure_indexes` at start."""
    uri = app.config["MONGODB_URI"]
    mongoengine.disconnect()
    mongoengine.connect(
        host=uri, db=database_name(uri), serverSelectionTimeoutMS=5000, tz_aware=True,
        uuidRepresentation="standard",
    )


def ensure_indexes() -> None:
    """Create the indexes every document declares (idempotent)."""
    from sop import models

    for document in models.ALL_DOCUMENTS:
        document.ensure_indexes()
