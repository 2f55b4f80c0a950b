"""The files an import hands out: the empty template of a kind, the list of problems of an
upload, and the upload itself with its problem cells marked.

The template and the problems list are written through sop.excel.sheets (XlsxWriter). The
annotated copy is the one file that *edits* an existing workbook — the user's own, every sheet,
value, style and formula of it kept, with a fill and a comment added to the problem cells and a
"Problems" sheet in front — which only openpyxl can do (XlsxWriter writes new files only;
calamine only reads). Pure functions: no Flask, no database.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from sop.excel.import_formats import ImportFormat, normalise_header
from sop.excel.masterdata import ProblemLog
from sop.excel.sheets import FORMULA_TRIGGERS, Book, Sheet, Styles
from sop.excel.writer import HEADER_BLUE, column_letter

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook

TEMPLATE_ROWS = 100_000  # the drop-downs reach this far down
PROBLEM_COLUMNS = ("Sheet", "Row", "Column", "Value", "What to do", "Severity")
PROBLEM_WIDTHS = (16, 8, 20, 28, 80, 10)
READ_ME = ("Fill the first sheet from row 2. Columns marked * are required.",
           "Dates: real Excel dates, or text as YYYY-MM / YYYY-MM-DD.",
           "The 'Example' sheet shows one filled row and is never imported.")


def template_workbook(fmt: ImportFormat) -> bytes:
    """An empty import template: styled header (required columns marked *), drop-downs for
    the fixed choices, frozen header, and an example row on a separate 'Example' sheet that
    the reader never imports."""
    book = Book()
    styles = Styles(book)
    styles.style("header", bold=True, color="FFFFFF", fill=HEADER_BLUE)
    widths = {column: max(spec.width, len(spec.header) + 3)
              for column, spec in enumerate(fmt.fields, start=1)}
    header = [spec.template_header for spec in fmt.fields]
    sheet = Sheet(book, styles, fmt.title[:31], widths, freeze="A2")
    sheet.append(header, ["header"] * len(header))
    for column, spec in enumerate(fmt.fields, start=1):
        if spec.choices:
            letter = column_letter(column)
            # as the template always had it: the drop-down offers, Excel does not refuse
            sheet.validate_list(f"{letter}2:{letter}{TEMPLATE_ROWS}", spec.choices,
                                error=f"Choose one of: {', '.join(spec.choices)}", title=None,
                                show_error=False, allow_blank=not spec.required)
    example = Sheet(book, styles, "Example", widths, freeze="A2")
    example.append(header, ["header"] * len(header))
    example.append([spec.example for spec in fmt.fields])
    notes = Sheet(book, styles, "Read me")
    for line in (f"{fmt.title} import template.", *READ_ME):
        notes.append([line])
    return book.close()


def problems_workbook(problems: ProblemLog) -> bytes:
    """Every problem as a row: sheet, row, column, value, what to do (streamed)."""
    book = Book()
    styles = Styles(book)
    styles.style("bold", bold=True)
    sheet = Sheet(book, styles, "Problems", dict(enumerate(PROBLEM_WIDTHS, start=1)),
                  freeze="A2")
    sheet.append(list(PROBLEM_COLUMNS), ["bold"] * len(PROBLEM_COLUMNS))
    columns = sheet.columns([None] * len(PROBLEM_COLUMNS))
    for problem in problems:
        sheet.add([problem.sheet, problem.row, problem.column, problem.value, problem.message,
                   problem.severity], columns)
    return book.close()


PROBLEM_COLOR = "FDE2E1"
WARNING_COLOR = "FFF1D6"


def formulas_as_text(workbook: Workbook) -> None:
    """Turn every formula of a loaded (uploaded) workbook into the text it was written as, so
    a copy handed back can never run `=HYPERLINK(...)` or the like from someone's upload."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                formula = cell.value
                text = formula if isinstance(formula, str) else getattr(formula, "text", None)
                cell.value = str(text if text is not None else formula)
                cell.data_type = "s"
                cell.quotePrefix = True


def annotated_copy(data: bytes, fmt: ImportFormat, problems: ProblemLog) -> bytes:
    """The uploaded workbook with each problem cell highlighted and commented, plus a
    'Problems' sheet listing them all. For small files: it loads the whole workbook.
    (openpyxl is imported here: only this copy needs it, and importing it — numpy with it —
    made every web and worker process 22 MB larger.)"""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    problem_fill = PatternFill("solid", fgColor=PROBLEM_COLOR)
    warning_fill = PatternFill("solid", fgColor=WARNING_COLOR)
    workbook = load_workbook(io.BytesIO(data))
    formulas_as_text(workbook)  # user text goes back as text, never as a live formula
    by_header = fmt.field_by_header()
    for problem in problems:
        if problem.sheet not in workbook.sheetnames:
            continue
        sheet = workbook[problem.sheet]
        headers = [normalise_header(c.value) for c in sheet[1]]
        wanted = normalise_header(problem.column)
        spec = by_header.get(wanted)
        target = normalise_header(spec.header) if spec else wanted
        column = headers.index(target) + 1 if target in headers else 1
        cell = sheet.cell(row=problem.row, column=column)
        cell.fill = problem_fill if problem.severity == "error" else warning_fill
        cell.comment = Comment(problem.message, "S&OP Portal")
    listing = workbook.create_sheet("Problems", 0)
    listing.append(list(PROBLEM_COLUMNS))
    for cell in listing[1]:
        cell.font = Font(bold=True)
    for problem in problems:
        listing.append([problem.sheet, problem.row, problem.column, None, problem.message,
                        problem.severity])
        value_cell = listing.cell(row=listing.max_row, column=4)
        value_cell.value = str(problem.value) if problem.value is not None else None
        value_cell.data_type = "s"
        value_cell.quotePrefix = str(value_cell.value or "").startswith(FORMULA_TRIGGERS)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
