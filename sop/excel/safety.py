"""Refuse hostile or broken spreadsheets before any parser touches them.

Checks only the container (magic bytes, the zip directory, each sheet's declared dimension,
the head of each XML part), never extracting to disk. The sizes of the zip directory are
bounds: a part is refused when it claims too much, or claims much more than it packs. Claims
are a packer's word, so every part is then inflated in chunks, nothing kept but its head and
a count, and refused as soon as it yields more than it claimed (a bomb hiding behind an
understated size: calamine would inflate all of it). XML parts may not declare a DTD
(entities, the billion laughs, external files need one; Excel never writes one): a DTD must
come before the root element, so the head is enough.

Accepted: .xlsx, .xlsb and .ods (zip), and legacy .xls (an OLE container, as an encrypted
.xlsx is too: that one is refused as password-protected). All are read by sop.excel.rows.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and legacy .xls
ENCRYPTED_PARTS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # 1 GiB inflated in total
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # one part (a sheet) inflated: 480,000 sales rows ~ 200 MB
MAX_COMPRESSION_RATIO = 200  # of the whole file and of each part bigger than RATIO_CHECKED_FROM
RATIO_CHECKED_FROM = 1024 * 1024  # small parts (styles, a short sheet) may pack very well
MAX_ROWS = 1_000_000
PROLOG_BYTES = 64 * 1024  # the XML declaration, comments and a DTD come before the root
INFLATE_CHUNK = 1024 * 1024  # a part is inflated this much at a time, counted, then dropped
DIMENSION = re.compile(rb'<dimension ref="[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?"')
ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
FORMATS_ACCEPTED = "an .xlsx, .xlsb, .xls or .ods file"


class UnsafeWorkbook(ValueError):
    """The file cannot be read safely; the message tells the user what to do."""


DAMAGED = UnsafeWorkbook("The file is damaged (not a readable workbook). Open it in Excel, "
                         "save it again and upload the new copy.")
NO_DTD = UnsafeWorkbook("The workbook holds XML declarations Excel never writes (a DTD): save it "
                        "again from Excel and upload the new copy.")


@dataclass(frozen=True)
class WorkbookFacts:
    kind: str  # "xlsx", "xlsb", "ods" or "xls"
    declared_rows: int  # the largest sheet dimension found (0 when a sheet declares none)


def inspect_upload(data: bytes, max_bytes: int, max_rows: int = MAX_ROWS,
                   max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
                   max_member: int = MAX_MEMBER_BYTES) -> WorkbookFacts:
    """Raise UnsafeWorkbook with a clear sentence, or return what the container says."""
    if len(data) > max_bytes:
        raise UnsafeWorkbook(f"The file is {len(data) / 1048576:.1f} MB; the limit is "
                             f"{max_bytes / 1048576:.0f} MB. Split it or remove unused sheets.")
    if data.startswith(OLE_MAGIC):
        if any(name in data for name in ENCRYPTED_PARTS):
            raise UnsafeWorkbook("This file is password-protected: remove the password in Excel "
                                 "(File > Info > Protect Workbook), save it and upload again.")
        return WorkbookFacts("xls", 0)  # a legacy .xls holds at most 65,536 rows a sheet
    if not data.startswith(XLSX_MAGIC):
        raise UnsafeWorkbook(f"This is not an Excel workbook: upload {FORMATS_ACCEPTED}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DAMAGED from None
    kind = _zip_kind(archive, {member.filename for member in members})
    total = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if total > max_uncompressed or total / packed > MAX_COMPRESSION_RATIO:
        raise UnsafeWorkbook("The workbook unpacks to an unreasonable size (possibly a zip "
                             "bomb); it was not opened. Upload the data in a normal workbook.")
    for member in members:  # padding with an incompressible part hides a bomb in the total
        _check_member(member, max_member)
    declared = 0
    for member in members:
        head = _inflated_head(archive, member)
        if member.filename.endswith((".xml", ".rels")):
            _refuse_dtd(head)
            if kind == "xlsx" and member.filename.startswith("xl/worksheets/"):
                declared = max(declared, _declared_rows(head))
    if declared > max_rows:
        raise UnsafeWorkbook(f"A sheet claims {declared:,} rows; at most {max_rows:,} can be "
                             "imported at once. Delete the empty rows below your data (select "
                             "them, Delete rows) or split the file.")
    return WorkbookFacts(kind, declared)


def container_kind(file: BinaryIO) -> str:
    """"xlsx", "xlsb", "ods" or "xls", from the container of a file that passed
    inspect_upload (a reader opening it by path needs the matching extension)."""
    file.seek(0)
    if file.read(len(OLE_MAGIC)) == OLE_MAGIC:
        return "xls"
    try:
        archive = zipfile.ZipFile(file)
        return _zip_kind(archive, set(archive.namelist()))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DAMAGED from None


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "mimetype" in names and "content.xml" in names:
        try:
            mimetype = archive.read("mimetype")[:len(ODS_MIMETYPE) + 16]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise DAMAGED from None
        if mimetype.strip() == ODS_MIMETYPE:
            return "ods"
    raise UnsafeWorkbook(f"This zip file is not an Excel workbook: upload {FORMATS_ACCEPTED}.")


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


def _inflated_head(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The first PROLOG_BYTES of a part, after inflating all of it in chunks to check that it
    yields no more than the directory claims (zipfile would stop at the claimed size; asked
    for a little more, it reads on and says how much there really is)."""
    past_claim = copy.copy(member)
    past_claim.file_size = member.file_size + INFLATE_CHUNK + 1  # we stop before zipfile does
    head, inflated = b"", 0
    try:
        with archive.open(past_claim) as stream:
            while inflated <= member.file_size:
                chunk = stream.read(INFLATE_CHUNK)
                if not chunk:
                    break
                if len(head) < PROLOG_BYTES:
                    head += chunk[:PROLOG_BYTES - len(head)]
                inflated += len(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
            RuntimeError, NotImplementedError):  # an encrypted part, a method zipfile lacks
        raise UnsafeWorkbook("The file is damaged (a part cannot be read). Open it in Excel, "
                             "save it again and upload the new copy.") from None
    if inflated > member.file_size:
        raise UnsafeWorkbook(
            f"The part {member.filename[:80]} of the workbook unpacks to more than the "
            f"{member.file_size:,} bytes its zip directory declares (possibly a zip bomb); it "
            "was not opened. Save the workbook again in Excel and upload the new copy.")
    return head


def _refuse_dtd(head: bytes) -> None:
    """NO_DTD when the head of an XML part declares a DTD before its root element."""
    root = ROOT_ELEMENT.search(head)
    prolog = head[:root.start()] if root is not None else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog or (root is None and head.strip()):
        raise NO_DTD


def _declared_rows(head: bytes) -> int:
    """The last row of the sheet's <dimension>, from the head of its XML."""
    match = DIMENSION.search(head)
    if match is None:
        return 0
    return int(match.group(1) or 1)
