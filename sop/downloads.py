"""Sending generated files to the browser."""

from __future__ import annotations

import io
from typing import IO

from flask import Response, send_file

from sop.clock import now

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx_file(content: bytes | IO[bytes], file_name: str) -> Response:
    """An xlsx attachment named exactly `file_name` (bytes or an open file), never cached."""
    body = io.BytesIO(content) if isinstance(content, bytes) else content
    response = send_file(body, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


def send_xlsx(data: bytes, name: str) -> Response:
    """An xlsx attachment named `<name>-YYYYMMDD-HHMM.xlsx`, never cached."""
    return send_xlsx_file(data, f"{name}-{now():%Y%m%d-%H%M}.xlsx")
