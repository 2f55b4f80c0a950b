"""Refuse hostile or broken spreadsheets before any parser touches them.

Checks only the container (magic bytes, the zip directory, each sheet's declared dimension),
never extracting to disk and never inflating more than a sheet's first few kilobytes. The sizes
of the zip directory can be trusted as bounds: Python's zipfile (openpyxl reads through it)
never inflates a member past its declared size.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and legacy .xls
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # 1 GiB inflated in total
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # one part (a sheet) inflated: 480,000 sales rows ~ 200 MB
MAX_COMPRESSION_RATIO = 200  # of the whole file and of each part bigger than RATIO_CHECKED_FROM
RATIO_CHECKED_FROM = 1024 * 1024  # small parts (styles, a short sheet) may pack very well
MAX_ROWS = 1_000_000
DIMENSION = re.compile(rb'<dimension ref="[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?"')


class UnsafeWorkbook(ValueError):
    """The file cannot be read safely; the message tells the user what to do."""


@dataclass(frozen=True)
class WorkbookFacts:
    kind: str  # "xlsx" or "xlsb"
    declared_rows: int  # the largest sheet dimension found (0 when a sheet declares none)


def inspect_upload(data: bytes, max_bytes: int, allow_xlsb: bool = False,
                   max_rows: int = MAX_ROWS,
                   max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
                   max_member: int = MAX_MEMBER_BYTES) -> WorkbookFacts:
    """Raise UnsafeWorkbook with a clear sentence, or return what the container says."""
    if len(data) > max_bytes:
        raise UnsafeWorkbook(f"The file is {len(data) / 1048576:.1f} MB; the limit is "
                             f"{max_bytes / 1048576:.0f} MB. Split it or remove unused sheets.")
    if data.startswith(OLE_MAGIC):
        raise UnsafeWorkbook("This file is password-protected or an old .xls workbook: remove "
                             "the password in Excel (or save as .xlsx) and upload again.")
    if not data.startswith(XLSX_MAGIC):
        raise UnsafeWorkbook("This is not an Excel workbook: upload an .xlsx file"
                             + (" or .xlsb file." if allow_xlsb else "."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsafeWorkbook("The file is damaged (not a readable workbook). Open it in Excel, "
                             "save it again and upload the new copy.") from None
    names = {member.filename for member in members}
    if "xl/workbook.bin" in names:
        kind = "xlsb"
        if not allow_xlsb:
            raise UnsafeWorkbook("This is a binary .xlsb workbook: save it as .xlsx and upload "
                                 "again.")
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise UnsafeWorkbook("This zip file is not an Excel workbook: upload an .xlsx file.")
    total = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if total > max_uncompressed or total / packed > MAX_COMPRESSION_RATIO:
        raise UnsafeWorkbook("The workbook unpacks to an unreasonable size (possibly a zip "
                             "bomb); it was not opened. Upload the data in a normal workbook.")
    for member in members:  # padding with an incompressible part hides a bomb in the total
        _check_member(member, max_member)
    declared = 0
    for member in members:
        if kind == "xlsx" and member.filename.startswith("xl/worksheets/") and \
                member.filename.endswith(".xml"):
            declared = max(declared, _declared_rows(archive, member))
    if declared > max_rows:
        raise UnsafeWorkbook(f"A sheet claims {declared:,} rows; at most {max_rows:,} can be "
                             "imported at once. Delete the empty rows below your data (select "
                             "them, Delete rows) or split the file.")
    return WorkbookFacts(kind, declared)


def _check_member(member: zipfile.ZipInfo, max_member: int) -> None:
    ratio = member.file_size / max(member.compress_size, 1)
    too_big = member.file_size > max_member
    if too_big or (member.file_size > RATIO_CHECKED_FROM and ratio > MAX_COMPRESSION_RATIO):
        limit = (f"more than {max_member / 1048576:g} MB" if too_big else
                 f"{ratio:,.0f} times its packed size, more than {MAX_COMPRESSION_RATIO}")
        raise UnsafeWorkbook(
            f"The part {member.filename[:80]} of the workbook unpacks to "
            f"{member.file_size / 1048576:,.0f} MB, {limit} (possibly a zip bomb); it was not "
            "opened. Save the workbook again in Excel, or split the data into smaller files.")


def _declared_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """The last row of the sheet's <dimension>, read from the first 4 KB only."""
    try:
        with archive.open(member) as stream:
            head = stream.read(4096)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnsafeWorkbook("The file is damaged (a sheet cannot be read). Open it in Excel, "
                             "save it again and upload the new copy.") from None
    match = DIMENSION.search(head)
    if match is None:
        return 0
    return int(match.group(1) or 1)
