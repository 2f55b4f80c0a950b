"""Hostile and broken files are refused before any parser sees them."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import pytest

from sop.excel.safety import UnsafeWorkbook, inspect_upload
from tests.excel.builders import workbook_bytes

LIMIT = 10 * 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_real_workbook_passes():
    facts = inspect_upload(workbook_bytes(("Items", [["Item Code"], [110001]])), LIMIT)
    assert facts.kind == "xlsx"


@pytest.mark.parametrize(("data", "message"), [
    (b"Customer Code,Name\nC1,Foods\n", "not an Excel workbook"),
    (b"PK\x03\x04" + b"\0" * 100, "damaged"),
    (zipped({"hello.txt": b"hi"}), "not an Excel workbook"),
])
def test_wrong_or_broken_files_are_refused(data, message):
    with pytest.raises(UnsafeWorkbook, match=message):
        inspect_upload(data, LIMIT)


def test_a_truncated_workbook_is_damaged():
    data = workbook_bytes(("Items", [["Item Code"], [110001]]))
    with pytest.raises(UnsafeWorkbook, match="damaged"):
        inspect_upload(data[: len(data) // 2], LIMIT)


def test_oversized_files_say_the_limit():
    with pytest.raises(UnsafeWorkbook, match="the limit is 1 MB"):
        inspect_upload(b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024), 1024 * 1024)


def test_a_zip_bomb_is_not_opened():
    bomb = zipped({"xl/workbook.xml": b"<workbook/>",
                   "xl/worksheets/sheet1.xml": b"<" + b"a" * (300 * 1024 * 1024) + b">"})
    assert len(bomb) < LIMIT
    with pytest.raises(UnsafeWorkbook, match="zip bomb"):
        inspect_upload(bomb, LIMIT)


def test_a_sheet_claiming_a_million_rows_is_refused():
    sheet = (b'<?xml version="1.0"?><worksheet><dimension ref="A1:A1048576"/>'
             b"<sheetData/></worksheet>")
    data = zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(UnsafeWorkbook, match="claims 1,048,576 rows"):
        inspect_upload(data, LIMIT)


def test_xlsb_ods_and_legacy_xls_are_recognised():
    assert inspect_upload(zipped({"xl/workbook.bin": b"\0\1", "xl/worksheets/sheet1.bin":
                                  b"\0"}), LIMIT).kind == "xlsb"
    ods = zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                  "content.xml": b"<office:document-content/>"})
    assert inspect_upload(ods, LIMIT).kind == "ods"
    assert inspect_upload(OLE + b"W\0o\0r\0k\0b\0o\0o\0k\0" + b"\0" * 512, LIMIT).kind == "xls"


def test_an_encrypted_workbook_is_refused_as_password_protected():
    encrypted = OLE + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512
    with pytest.raises(UnsafeWorkbook, match="password-protected"):
        inspect_upload(encrypted, LIMIT)


@pytest.mark.parametrize("prolog", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>',
    b"<!--" + b" " * 8192 + b'-->\n<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    b"<!--" + os.urandom(35 * 1024).hex().encode() + b"-->",  # too long a prolog for Excel
])
def test_an_xml_part_declaring_a_dtd_is_refused(prolog):
    data = zipped({"xl/workbook.xml": b"<workbook/>",
                   "xl/worksheets/sheet1.xml": prolog + b"<worksheet a='&a;'><sheetData/>"
                                                        b"</worksheet>"})
    with pytest.raises(UnsafeWorkbook, match="DTD"):
        inspect_upload(data, LIMIT)


def padded_bomb(inflated_mb: int = 64, padding_kb: int = 512) -> bytes:
    """The issue's bomb, smaller: one sheet of repeated bytes (~1000:1) plus an incompressible
    part stored as it is, so the ratio of the whole file stays well under the limit."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet><sheetData>')
            for _ in range(inflated_mb):
                sheet.write(b"<row/>" * (1024 * 1024 // 6))
        archive.writestr(zipfile.ZipInfo("xl/media/image1.png"), os.urandom(padding_kb * 1024))
    return buffer.getvalue()


def test_a_padded_bomb_is_refused_by_its_own_part_whatever_the_whole_files_ratio():
    bomb = padded_bomb()
    members = zipfile.ZipFile(io.BytesIO(bomb)).infolist()
    total = sum(m.file_size for m in members) / sum(m.compress_size for m in members)
    assert total < 200  # the check of the whole file alone lets it through
    with pytest.raises(UnsafeWorkbook, match=r"xl/worksheets/sheet1\.xml .* unpacks to 64 MB, "
                                             r"[\d,]+ times its packed size, more than 200"):
        inspect_upload(bomb, LIMIT)


def test_a_part_larger_than_the_part_limit_is_refused_even_when_it_packs_normally():
    data = workbook_bytes(("Items", [["Item Code", "Description"]] + [
        [110000 + n, f"Item {n} {scrambled(n)}"] for n in range(3000)]))
    assert inspect_upload(data, LIMIT).kind == "xlsx"
    with pytest.raises(UnsafeWorkbook, match=r"more than 0\.0625 MB"):
        inspect_upload(data, LIMIT, max_member=64 * 1024)


def scrambled(seed: int) -> str:
    return f"{(seed * 2654435761) % 4294967296:x}"


def understated(real: bytes, claimed: int, crc_of_claim: bool) -> bytes:
    """A workbook whose sheet packs `real` but whose zip directory claims only `claimed`
    bytes (so every ratio and size it declares looks harmless), its CRC that of the whole
    sheet or, craftier, of the claimed bytes only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", real)
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        sheet.file_size = claimed  # written into the directory when the archive closes
        if crc_of_claim:
            sheet.CRC = zlib.crc32(real[:claimed])
    return buffer.getvalue()


@pytest.mark.parametrize("crc_of_claim", [False, True])
def test_a_bomb_understating_its_size_is_refused_by_what_it_really_inflates_to(crc_of_claim):
    sheet = b"<worksheet><sheetData>" + b"<row/>" * (8 * 1024 * 1024) + b"</sheetData></worksheet>"
    bomb = understated(sheet, 64 * 1024, crc_of_claim)
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    claimed = archive.getinfo("xl/worksheets/sheet1.xml")
    assert claimed.file_size == 64 * 1024 < 1024 * 1024  # the declared checks see a small part
    with pytest.raises(UnsafeWorkbook, match=r"xl/worksheets/sheet1\.xml of the workbook unpacks "
                                             r"to more than the 65,536 bytes its zip directory "
                                             r"declares \(possibly a zip bomb\)"):
        inspect_upload(bomb, LIMIT)


def test_a_part_inflating_to_exactly_its_claim_passes():
    rows = b"".join(b'<row><c><v>%d</v></c></row>' % (n * 7919) for n in range(20_000))
    sheet = b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"
    assert inspect_upload(understated(sheet, len(sheet), False), LIMIT).kind == "xlsx"
