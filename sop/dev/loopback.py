"""Talking to a stack started on loopback (fault tests, the soak benchmark) without a browser."""

from __future__ import annotations

import uuid


def multipart_form(fields: dict[str, str], file_name: str, data: bytes) -> tuple[bytes, str]:
    """(body, Content-Type) of a form with `fields` and one file in its `file` field."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
             f"{value}\r\n".encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + data + b"\r\n")
    return (b"".join(parts) + f"--{boundary}--\r\n".encode(),
            f"multipart/form-data; boundary={boundary}")
