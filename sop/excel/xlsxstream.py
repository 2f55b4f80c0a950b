"""A small, fast streaming .xlsx writer for the big generated workbooks (the rep workbook and
the consolidated plan), where openpyxl's write-only mode costs ~10 µs a cell.

It writes sheet XML straight into the zip, one sheet after the other, with a fixed style table
built from `Book.style(...)`. Supported: typed cells (text always as text, never evaluated;
numbers; dates; booleans; `Formula`), column widths, frozen panes, merged ranges, list data
validations and an autofilter. Formulas carry no cached value and the workbook asks Excel to
calculate on open. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

EPOCH = date(1899, 12, 30)
INF = float("inf")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


class Formula(str):
    """A formula to write (with or without the leading '='); a plain str is always text."""


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    italic: bool = False
    size: float = 11
    color: str | None = None  # font colour, RRGGBB
    fill: str | None = None  # solid fill, RRGGBB
    border: bool = False
    number_format: str | None = None
    wrap: bool = False
    center: bool = False
    quote: bool = False  # quotePrefix: the cell stays text when the user edits it


def _text(value: str) -> str:
    if CONTROL.search(value):
        value = CONTROL.sub("", value)
    return escape(value)


COLUMNS = [get_column_letter(i) for i in range(1, 16385)]


@dataclass
class Sheet:
    book: Book
    title: str
    stream: Any
    merges: list[str] = field(default_factory=list)
    validations: list[tuple[str, str]] = field(default_factory=list)  # (sqref, list formula)
    autofilter: str | None = None
    rows: int = 0
    closed: bool = False

    def append(self, cells: list[Any] | tuple[Any, ...], styles: list[int | None] | None = None
               ) -> int:
        """Write the next row: `cells[i]` goes to column i+1 with style id `styles[i]`.
        A None value with a style writes a styled empty cell. Returns the row number."""
        self.rows += 1
        number = self.rows
        book = self.book
        parts = [f'<row r="{number}">']
        add = parts.append
        for index, value in enumerate(cells):
            style = styles[index] if styles is not None and index < len(styles) else None
            if value is None:
                if style:
                    add(f'<c r="{COLUMNS[index]}{number}" s="{style}"/>')
                continue
            ref = COLUMNS[index] + str(number)
            kind = type(value)
            if kind is float and (value != value or value in (INF, -INF)):
                continue  # NaN and infinities have no place in a workbook: left blank
            if kind is float or kind is int:
                add(f'<c r="{ref}" s="{style or 0}"><v>{value!r}</v></c>' if style else
                    f'<c r="{ref}"><v>{value!r}</v></c>')
            elif kind is Formula:
                text = value[1:] if value.startswith("=") else value
                add(f'<c r="{ref}" s="{style or 0}"><f>{_text(text)}</f></c>')
            elif kind is str:
                if value.startswith(FORMULA_TRIGGERS):
                    style = book.quoted(style or 0)
                add(f'<c r="{ref}" s="{style or 0}" t="inlineStr"><is><t xml:space="preserve">'
                    f'{_text(value)}</t></is></c>')
            elif kind is bool:
                add(f'<c r="{ref}" s="{style or 0}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime | date):
                day = value.date() if isinstance(value, datetime) else value
                serial = (day - EPOCH).days
                add(f'<c r="{ref}" s="{style or book.date_style}"><v>{serial}</v></c>')
            else:
                add(f'<c r="{ref}" s="{style or 0}" t="inlineStr"><is><t xml:space="preserve">'
                    f'{_text(str(value))}</t></is></c>')
        add("</row>")
        self.stream.write("".join(parts).encode("utf-8"))
        return number

    def skip(self, count: int = 1) -> None:
        self.rows += count

    def close(self) -> None:
        if self.closed:
            return
        tail = ["</sheetData>"]
        if self.autofilter:
            tail.append(f'<autoFilter ref="{self.autofilter}"/>')
        if self.merges:
            tail.append(f'<mergeCells count="{len(self.merges)}">'
                        + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                        + "</mergeCells>")
        if self.validations:
            tail.append(f'<dataValidations count="{len(self.validations)}">')
            for sqref, formula in self.validations:
                tail.append('<dataValidation type="list" allowBlank="1" showErrorMessage="1" '
                            f'errorTitle="S&amp;OP" error="Choose a value from the list." '
                            f'sqref="{sqref}"><formula1>{_text(formula)}</formula1>'
                            "</dataValidation>")
            tail.append("</dataValidations>")
        tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                    'footer="0.3"/></worksheet>')
        self.stream.write("".join(tail).encode("utf-8"))
        self.stream.close()
        self.closed = True


class Book:
    """Sheets are written one at a time, in order: `add_sheet` closes the previous one."""

    def __init__(self, compresslevel: int = 1) -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED,
                                   compresslevel=compresslevel)
        self.sheets: list[Sheet] = []
        self.styles: dict[CellStyle, int] = {CellStyle(): 0}
        self._quoted: dict[int, int] = {}
        self.date_style = self.style(number_format="yyyy-mm-dd")

    def style(self, **kwargs: Any) -> int:
        spec = CellStyle(**kwargs)
        return self.styles.setdefault(spec, len(self.styles))

    def quoted(self, style: int) -> int:
        """The same style with quotePrefix on (for text starting with = + - @)."""
        if style not in self._quoted:
            spec = next(s for s, i in self.styles.items() if i == style)
            values = {**spec.__dict__, "quote": True}
            self._quoted[style] = self.style(**values)
        return self._quoted[style]

    def add_sheet(self, title: str, widths: dict[int, float] | None = None,
                  freeze: str | None = None) -> Sheet:
        """`widths` by 1-based column; `freeze` the top-left unfrozen cell, like "G8"."""
        if self.sheets:
            self.sheets[-1].close()
        number = len(self.sheets) + 1
        stream = self.zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True)
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">']
        head.append('<sheetViews><sheetView workbookViewId="0"'
                    + (' tabSelected="1"' if number == 1 else "") + ">")
        if freeze:
            match = re.match(r"([A-Z]+)(\d+)$", freeze)
            assert match
            column = COLUMNS.index(match.group(1))
            row = int(match.group(2)) - 1
            pane = ("bottomRight" if column and row else "bottomLeft" if row else "topRight")
            split = (f' xSplit="{column}"' if column else "") + (f' ySplit="{row}"' if row
                                                                  else "")
            head.append(f'<pane{split} topLeftCell="{freeze}" activePane="{pane}" '
                        f'state="frozen"/><selection pane="{pane}" activeCell="{freeze}" '
                        f'sqref="{freeze}"/>')
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append("<cols>" + "".join(
                f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                for c, w in sorted(widths.items())) + "</cols>")
        head.append("<sheetData>")
        stream.write("".join(head).encode("utf-8"))
        sheet = Sheet(self, title, stream)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> bytes:
        if self.sheets:
            self.sheets[-1].close()
        names = [s.title for s in self.sheets]
        write = self.zip.writestr
        write("[Content_Types].xml", _content_types(len(names)))
        write("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/'
              'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        write("xl/workbook.xml", self._workbook_xml())
        rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
        rels += (f'<Relationship Id="rId{len(names) + 1}" Type="{REL}/styles" '
                 'Target="styles.xml"/>')
        write("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" '
              f'standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">{rels}</Relationships>')
        write("xl/styles.xml", self._styles_xml())
        self.zip.close()
        return self.buffer.getvalue()

    def _workbook_xml(self) -> str:
        sheets = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_text(_sheet_ref(s.title))}!{_absolute(s.autofilter)}</definedName>"
            for i, s in enumerate(self.sheets) if s.autofilter)
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView/>'
                f"</bookViews><sheets>{sheets}</sheets>"
                + (f"<definedNames>{names}</definedNames>" if names else "")
                + '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>')

    def _styles_xml(self) -> str:
        formats: dict[str, int] = {}
        fonts: dict[tuple[Any, ...], int] = {(False, False, 11, None): 0}
        fills: dict[str | None, int] = {None: 0}
        xfs = []
        for spec in sorted(self.styles, key=self.styles.__getitem__):
            font = fonts.setdefault((spec.bold, spec.italic, spec.size, spec.color),
                                    len(fonts))
            fill = fills.setdefault(spec.fill, len(fills) + 1)  # 0 none, 1 gray125
            if spec.number_format is None:
                number = 0
            elif spec.number_format in BUILTIN_FORMATS:
                number = BUILTIN_FORMATS[spec.number_format]
            else:
                number = formats.setdefault(spec.number_format, 164 + len(formats))
            attrs = (f'numFmtId="{number}" fontId="{font}" fillId="{fill}" '
                     f'borderId="{1 if spec.border else 0}" xfId="0"')
            attrs += ' applyNumberFormat="1"' if number else ""
            attrs += ' applyFont="1"' if font else ""
            attrs += ' applyFill="1"' if fill else ""
            attrs += ' applyBorder="1"' if spec.border else ""
            attrs += ' quotePrefix="1"' if spec.quote else ""
            if spec.wrap or spec.center:
                align = ((' horizontal="center" vertical="center"' if spec.center else "")
                         + (' wrapText="1"' if spec.wrap else ""))
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment{align}/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        font_xml = "".join(
            "<font>" + ("<b/>" if bold else "") + ("<i/>" if italic else "")
            + f'<sz val="{size}"/>' + (f'<color rgb="FF{color}"/>' if color else "")
            + '<name val="Calibri"/><family val="2"/></font>'
            for (bold, italic, size, color) in fonts)
        fill_xml = ('<fill><patternFill patternType="none"/></fill>'
                    '<fill><patternFill patternType="gray125"/></fill>'
                    + "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
                              '<bgColor indexed="64"/></patternFill></fill>'
                              for c in fills if c is not None))
        side = '<{0} style="thin"><color rgb="FFB7B7B7"/></{0}>'
        border_xml = ("<border><left/><right/><top/><bottom/><diagonal/></border><border>"
                      + "".join(side.format(s) for s in ("left", "right", "top", "bottom"))
                      + "<diagonal/></border>")
        format_xml = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'
                             for code, i in formats.items())
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<styleSheet xmlns="{MAIN}">'
                + (f'<numFmts count="{len(formats)}">{format_xml}</numFmts>' if formats else "")
                + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
                + f'<fills count="{len(fills) + 1}">{fill_xml}</fills>'
                + f'<borders count="2">{border_xml}</borders>'
                + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
                + f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
                + "</cellStyles></styleSheet>")


def _sheet_ref(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str | None) -> str:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref or "")


def _content_types(sheets: int) -> str:
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                        f'ContentType="{ct}.worksheet+xml"/>' for i in range(1, sheets + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f"{overrides}</Types>")
