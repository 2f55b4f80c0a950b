"""Sending generated files to the browser."""

from __future__ import annotations

import io

from flask import Response, send_file

from sop.clock import now

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(data: bytes, name: str) -> Response:
    """An xlsx attachment named `<name>-YYYYMMDD-HHMM.xlsx`, never cached."""
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=f"{name}-{now():%Y%m%d-%H%M}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
