"""The workbook page: download, upload, preview, resolve, confirm, through the browser's
requests, and who may do what."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from sop.excel.rep_workbook import write_rep_workbook
from sop.models import AuditEntry, ForecastLine, Report, WorkbookUpload
from sop.workbooks.download import workbook_plan
from tests.conftest import DEFAULT_PASSWORD, work_queues

FILE_NAME = "Consolidated Master File SOP_Nov26 - JR.xlsx"


@pytest.fixture
def as_user(client, login):
    """Sign in as `user`, signing out whoever was signed in."""
    signed_in = []

    def sign_in(user):
        if signed_in:
            client.post_form("/logout")
        assert login(user, DEFAULT_PASSWORD).status_code == 302
        signed_in.append(user)
        return user
    return sign_in


def post_file(client, data: bytes, name: str = FILE_NAME, **fields):
    """Upload through the page, then let the `imports` worker read it, as a user waits."""
    form = {"csrf_token": client.csrf_token("/workbooks"), **{k: str(v) for k, v in fields.items()},
            "file": (io.BytesIO(data), name)}
    response = client.post("/workbooks/upload", data=form, content_type="multipart/form-data")
    work_queues(client.application, "imports")
    return response


def edited_workbook(company, months_to_double: int = 1) -> bytes:
    plan = workbook_plan(company.cycle, company.rep)
    for sheet in plan.customers:
        if sheet.name == "BAYOU FOODS":
            sheet.name = "Bayou Foods Company"  # unknown: to map in the preview
            for line in sheet.lines:
                line.qty[:months_to_double] = [q * 2 for q in line.qty[:months_to_double]]
    return write_rep_workbook(plan)


def test_a_rep_downloads_their_workbook_named_with_their_initials(client, company, as_user):
    as_user(company.rep)
    page = client.get("/workbooks").get_data(as_text=True)
    assert FILE_NAME in page
    response = client.get(f"/workbooks/download?cycle={company.cycle.pk}&rep={company.rep.pk}")
    assert response.status_code == 200
    assert FILE_NAME in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert {"ACME & SONS", "BAYOU FOODS"} <= set(book.sheetnames)
    assert AuditEntry.objects(action="workbook_downloaded").count() == 1
    # another rep's workbook does not exist for them
    assert client.get(f"/workbooks/download?cycle={company.cycle.pk}&rep={company.other.pk}"
                      ).status_code == 404


def test_upload_preview_map_a_sheet_and_confirm(client, company, as_user):
    as_user(company.rep)
    response = post_file(client, edited_workbook(company), cycle=company.cycle.pk,
                         rep=company.rep.pk)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    record = WorkbookUpload.objects.get()
    page = client.get(response.location).get_data(as_text=True)
    assert "Bayou Foods Company" in page and "no customer" in page
    assert "Confirm" not in page  # blocked until the sheet has a customer

    fragment = client.htmx_post(f"/workbooks/uploads/{record.pk}/sheets",
                                {"sheet": "Bayou Foods Company", "target": str(company.bayou.pk)},
                                token_from="/workbooks")
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "the sheet name becomes an alias" in html
    assert "Confirm: import 2 customer sheets" in html

    client.post_form(f"/workbooks/uploads/{record.pk}/confirm", token_from="/workbooks")
    assert record.reload().status == "applied"
    assert company.lines()[("BAYOU FOODS", "110001")]["qty"][0] == 20
    assert "bayou foods company" in company.bayou.reload().aliases
    page = client.get(f"/workbooks/uploads/{record.pk}").get_data(as_text=True)
    assert "applied" in page and "imported into Jane Roe" in page


def test_a_refused_mapping_is_explained_in_the_fragment(client, company, as_user):
    as_user(company.rep)
    post_file(client, edited_workbook(company), cycle=company.cycle.pk, rep=company.rep.pk)
    record = WorkbookUpload.objects.get()
    response = client.htmx_post(f"/workbooks/uploads/{record.pk}/sheets",
                                {"sheet": "Bayou Foods Company",
                                 "target": str(company.elsewhere.pk)}, token_from="/workbooks")
    assert response.status_code == 422
    assert "Choose one of Jane Roe&#39;s customers" in response.get_data(as_text=True)
    assert next(m for m in record.reload().sheets
                if m.name == "Bayou Foods Company").match == "unmatched"


def test_a_rep_cannot_upload_into_or_see_another_reps_plan(client, company, as_user):
    as_user(company.other)
    response = post_file(client, edited_workbook(company), cycle=company.cycle.pk,
                         rep=company.rep.pk)
    assert response.status_code == 404
    assert WorkbookUpload.objects.count() == 0
    as_user(company.rep)
    post_file(client, edited_workbook(company), cycle=company.cycle.pk, rep=company.rep.pk)
    record = WorkbookUpload.objects.get()
    as_user(company.other)
    assert client.get(f"/workbooks/uploads/{record.pk}").status_code == 404
    assert client.post_form(f"/workbooks/uploads/{record.pk}/confirm",
                            token_from="/workbooks").status_code == 404
    assert record.reload().status == "previewed"


def test_an_admin_uploads_for_the_rep_named_by_the_file(client, company, login_as):
    login_as("admin")
    response = post_file(client, edited_workbook(company), cycle=company.cycle.pk, rep="")
    record = WorkbookUpload.objects.get()
    assert response.location.endswith(f"/workbooks/uploads/{record.pk}")
    assert record.rep == company.rep
    page = client.get(f"/workbooks/uploads/{record.pk}").get_data(as_text=True)
    assert "Create customer" in page  # admins may create the customer from the sheet name


def test_a_hostile_file_is_refused_with_a_message(client, company, as_user):
    as_user(company.rep)
    response = post_file(client, b"PK\x03\x04 this is not really a zip", cycle=company.cycle.pk,
                         rep=company.rep.pk)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "The file is damaged" in page
    assert WorkbookUpload.objects.count() == 0


def test_a_submitted_plan_offers_no_upload(client, company, as_user):
    from sop.models import Submission

    Submission(cycle=company.cycle, rep=company.rep, status="submitted").save()
    as_user(company.rep)
    page = client.get("/workbooks").get_data(as_text=True)
    assert "cannot change now" in page and "Upload and preview" not in page
    response = post_file(client, edited_workbook(company), cycle=company.cycle.pk,
                         rep=company.rep.pk)
    assert "cannot change now" in client.get(response.location).get_data(as_text=True)
    assert ForecastLine.objects(source="excel").count() == 0


def test_the_consolidated_plan_is_the_report_and_a_rep_gets_only_their_lines(
        client, company, as_user, make_line, run_jobs):
    make_line(company.cycle, company.other, company.elsewhere, company.ginger, qty=[7] * 16)
    as_user(company.rep)
    link = f"/reports?kind=consolidated&amp;cycle={company.cycle.pk}"
    assert link in client.get("/workbooks").get_data(as_text=True)
    reports = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert '<option value="consolidated" selected>' in reports
    assert f'<option value="{company.cycle.pk}" selected>' in reports
    client.htmx_post("/reports", {"kind": "consolidated", "cycle": str(company.cycle.pk)})
    run_jobs("reports")
    [report] = Report.objects
    response = client.get(f"/reports/{report.pk}/download")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True)["Consol"]
    cells = {value for row in sheet.iter_rows(values_only=True) for value in row}
    assert "Jane Roe" in cells and "Omar Diaz" not in cells


def test_an_xlsb_workbook_and_a_real_variant_import_through_the_page(client, company, as_user):
    """Files built like the reps' own (tests/excel/rep_workbook_variants.py): an .xlsb copy
    and an .xlsx with the single-price variant (a), through upload, preview and confirm."""
    from tests.excel.rep_workbook_variants import (
        Row,
        Sheet,
        real_workbook,
        sheet_rows,
        xlsb_workbook,
    )

    as_user(company.rep)
    spec = Sheet("BAYOU FOODS ", [Row(110001, [100, 0.5, None, 80], [41.5, None, 42],
                                      "Customer Fprecast - Mid Risk")])
    data = xlsb_workbook([("Summary", [[None] * 5 + ["Average \nLast Q (Sales)"]]),
                          (spec.name, sheet_rows(spec))])
    response = post_file(client, data, name="Consolidated Master File SOP_Nov26 - JR.xlsb",
                         cycle=company.cycle.pk, rep=company.rep.pk)
    record = WorkbookUpload.objects.get(status="previewed")
    assert response.location.endswith(str(record.pk)) and record.file_kind == "xlsb"
    bayou = next(c for c in record.changes if c["sheet"] == "BAYOU FOODS ")
    assert (bayou["added"], bayou["changed"], bayou["removed"]) == (0, 1, 1)  # ginger gone
    assert record.counts["warnings"] == 1  # the misspelt probability
    client.post_form(f"/workbooks/uploads/{record.pk}/confirm", token_from="/workbooks")
    line = company.lines()[("BAYOU FOODS", "110001")]
    assert line["qty"][:4] == [100, 0.5, 0, 80] and line["price"][:3] == [41.5, None, 42]
    assert line["probability"] == 2 and ("BAYOU FOODS", "110002") not in company.lines()

    single = Sheet("ACME & SONS", [Row(110003, [7] * 12, [], PROBABILITY_LOW, None, 29.5)],
                   variant="single")
    post_file(client, real_workbook([single]), cycle=company.cycle.pk, rep=company.rep.pk)
    record = WorkbookUpload.objects.get(status="previewed")
    assert record.counts["errors"] == 0, [p.message for p in record.problems]
    client.post_form(f"/workbooks/uploads/{record.pk}/confirm", token_from="/workbooks")
    shallot = company.lines()[("ACME & SONS", "110003")]
    assert shallot["qty"][:12] == [7] * 12 and shallot["price"][0] == 29.5
    assert ("ACME & SONS", "150001") not in company.lines()  # not in the file: removed


PROBABILITY_LOW = "With Sales Order - Low Risk"


def long_workbook(rows: int, declare_size: bool = True) -> bytes:
    """A customer sheet far longer than a rep workbook's (one row per item), with or without
    the sheet size Excel writes at its head."""
    from tests.excel.messy_workbooks import xlsx_of

    header = {1: "#", 3: "ITEM CODE", 5: "Probability"}
    data = xlsx_of([("BAYOU FOODS", {7: header, **{8 + i: {3: 110001, 6: 1}
                                                   for i in range(rows)}})])
    if declare_size:
        return data
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]*"/>', b"", content)
            target.writestr(item, content)
    return out.getvalue()


def test_a_workbook_far_longer_than_a_rep_workbook_is_refused_with_a_sentence(
        client, company, as_user, app):
    from sop.settings import store_value

    with app.app_context():
        store_value("rep_workbook_max_rows", 500, "test")
    as_user(company.rep)
    response = post_file(client, long_workbook(600), cycle=company.cycle.pk, rep=company.rep.pk)
    assert response.status_code == 302 and "uploads" not in response.location  # refused at once
    page = client.get(response.location).get_data(as_text=True)
    assert "at most 500 can be imported" in page or "at most 500" in page
    assert WorkbookUpload.objects.count() == 0

    # a file that hides its size is stopped by the worker, before its rows are read
    response = post_file(client, long_workbook(600, declare_size=False), cycle=company.cycle.pk,
                         rep=company.rep.pk)
    record = WorkbookUpload.objects.get()
    assert record.status == "failed" and "rep_workbook_max_rows" in record.error_message
    page = client.get(response.location).get_data(as_text=True)
    assert "not read" in page and "Nothing was changed" in page
    assert company.lines()[("BAYOU FOODS", "110001")]["qty"][0] == 10
