"""Imports end to end on real services: upload, validation in a worker, preview, confirm,
all-or-nothing apply, idempotency, every kind, hostile files through the web."""

from __future__ import annotations

import io
import re
import time
from datetime import date, datetime

import pytest
from mongoengine.connection import get_db
from openpyxl import load_workbook

from sop.db import raw_collection
from sop.imports import services
from sop.models import (
    AuditEntry,
    BudgetEntry,
    Customer,
    ImportLog,
    PriceEntry,
    Product,
    SalesHistory,
    User,
)
from tests.excel.builders import ods_bytes, workbook_bytes, xls_bytes, xlsxwriter_bytes

CUSTOMER_HEADER = ["Customer Code*", "Customer Name*", "S&OP Name", "Sales Rep Email",
                   "Territory", "Active"]


def upload(client, kind: str, data: bytes, name: str = "file.xlsx"):
    return client.post("/imports", data={
        "csrf_token": client.csrf_token("/imports"), "kind": kind,
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def latest() -> ImportLog:
    return ImportLog.objects.order_by("-created_at").first()


def validate_and_apply(client, run_jobs, kind: str, data: bytes) -> ImportLog:
    response = upload(client, kind, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    run_jobs("imports")
    record = latest()
    assert record.status == "validated", [p.message for p in record.problems]
    client.post_form(f"/imports/{record.pk}/confirm", token_from=f"/imports/{record.pk}")
    run_jobs("imports")
    return record.reload()


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def test_customers_preview_then_apply_then_reimport_changes_nothing(client, admin, make_user,
                                                                    run_jobs):
    rep = make_user(email="jordan.reyes@example.com")
    data = workbook_bytes(("Customers", [
        CUSTOMER_HEADER,
        ["PATITO-000001", "Bayou Foods LLC", "BAYOU FOODS", rep.email, "South", "Yes"],
        ["PATITO-000002", "<b>Averit</b>", "AVERIT", rep.email, "North", "No"]]))
    upload(client, "customers", data)
    assert latest().status == "uploaded"
    run_jobs("imports")
    record = latest()
    page = client.get(f"/imports/{record.pk}").get_data(as_text=True)
    assert record.status == "validated" and "Nothing has changed yet" in page
    assert record.counts["added"] == 2 and Customer.objects.count() == 0  # preview only

    client.post_form(f"/imports/{record.pk}/confirm", token_from=f"/imports/{record.pk}")
    run_jobs("imports")
    assert record.reload().status == "applied"
    bayou = Customer.objects.get(code="PATITO-000001")
    assert bayou.sales_rep.pk == rep.pk and bayou.sop_name_key == "bayou foods"
    assert bayou.active and bayou.created_at is not None
    assert [c.code for c in Customer.objects(active=True)] == ["PATITO-000001"]
    assert not Customer.objects.get(code="PATITO-000002").active
    assert AuditEntry.objects(action="import_completed").count() == 1

    again = validate_and_apply(client, run_jobs, "customers", data)
    assert again.counts == {**again.counts, "added": 0, "changed": 0, "unchanged": 2,
                            "writes": 0}
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(("name", "build"), [("customers.xls", xls_bytes),
                                            ("customers.ods", ods_bytes)])
def test_a_legacy_xls_or_an_ods_file_imports_like_an_xlsx(client, admin, make_user, run_jobs,
                                                          name, build):
    """Issue 15: master data is read through the same row source whatever the format; an .xls
    file is accepted instead of refused."""
    rep = make_user(email="jordan.reyes@example.com")
    response = upload(client, "customers", build([
        CUSTOMER_HEADER,
        ["PATITO-000001", "Bayou Foods LLC", "BAYOU FOODS", rep.email, "South", "Yes"],
        ["PATITO-000002", "Averit", "AVERIT", rep.email, "North", "No"]], "Customers"),
        name=name)
    assert response.status_code == 302, response.get_data(as_text=True)
    run_jobs("imports")
    record = latest()
    assert record.status == "validated", [p.message for p in record.problems]
    client.post_form(f"/imports/{record.pk}/confirm", token_from=f"/imports/{record.pk}")
    run_jobs("imports")
    assert record.reload().status == "applied"
    assert [(c.code, c.active) for c in Customer.objects.order_by("code")] == [
        ("PATITO-000001", True), ("PATITO-000002", False)]


def test_a_change_is_counted_and_blank_cells_keep_values(client, admin, make_user,
                                                        make_customer, run_jobs):
    rep = make_user()
    make_customer(rep, code="PATITO-000001", name="Old Name", territory="North",
                  sop_name="OLD")
    record = validate_and_apply(client, run_jobs, "customers", workbook_bytes(("C", [
        ["Customer Code", "Customer Name", "Territory"], ["PATITO-000001", "New Name", None]])))
    assert (record.counts["changed"], record.counts["added"]) == (1, 0)
    customer = Customer.objects.get(code="PATITO-000001")
    assert customer.name == "New Name" and customer.territory == "North"
    assert customer.sales_rep.pk == rep.pk


def test_any_error_rejects_the_whole_file_and_names_sheet_row_column(client, admin,
                                                                     make_user, run_jobs):
    rep = make_user()
    upload(client, "customers", workbook_bytes(("Customers", [
        CUSTOMER_HEADER,
        ["PATITO-000001", "Good", "GOOD", rep.email, "South", "Yes"],
        ["PATITO-000002", "Bad rep", "BAD", "ghost@example.com", "South", "Yes"],
        ["PATITO-000001", "Duplicate", "DUP", rep.email, "South", "Yes"]])))
    run_jobs("imports")
    record = latest()
    assert record.status == "rejected" and record.counts["errors"] == 2
    page = client.get(f"/imports/{record.pk}").get_data(as_text=True)
    assert "No active sales rep has this e-mail" in page and "ghost@example.com" in page
    assert "as row 2" in page and "Apply the changes" not in page
    refused = client.post_form(f"/imports/{record.pk}/confirm",
                               token_from=f"/imports/{record.pk}")
    assert "cannot be applied" in client.get(refused.location).get_data(as_text=True)
    assert Customer.objects.count() == 0

    report = load_workbook(io.BytesIO(client.get(f"/imports/{record.pk}/problems.xlsx").data))
    assert report.sheetnames[0] == "Problems"
    marked = report["Customers"]["D3"]
    assert marked.comment is not None and "No active sales rep" in marked.comment.text


def test_a_failure_on_the_last_write_leaves_nothing_changed(client, admin, make_user,
                                                            run_jobs, monkeypatch):
    rep = make_user()
    rows = [CUSTOMER_HEADER] + [[f"PATITO-{n:06d}", f"Customer {n}", f"C{n}", rep.email,
                                 "South", "Yes"] for n in range(1, 1202)]  # 3 staged chunks
    upload(client, "customers", workbook_bytes(("Customers", rows)))
    run_jobs("imports")
    record = latest()
    assert record.counts["writes"] == 1201

    real_write = services.write_staged_chunk
    calls = []

    def fail_on_last_chunk(target, operations):
        calls.append(len(operations))
        if len(calls) == 3:
            from pymongo.errors import PyMongoError

            real_write(target, operations[:100])  # part of the chunk lands...
            raise PyMongoError("disk full (injected)")  # ...then the database fails
        real_write(target, operations)

    monkeypatch.setattr(services, "write_staged_chunk", fail_on_last_chunk)
    client.post_form(f"/imports/{record.pk}/confirm", token_from=f"/imports/{record.pk}")
    run_jobs("imports")
    assert calls == [500, 500, 201]
    assert record.reload().status == "failed"
    assert "nothing was changed" in record.error_message
    assert Customer.objects.count() == 0  # everything written was undone

    monkeypatch.setattr(services, "write_staged_chunk", real_write)  # the database is back
    client.post_form(f"/imports/{record.pk}/confirm", token_from=f"/imports/{record.pk}")
    run_jobs("imports")
    assert record.reload().status == "applied" and Customer.objects.count() == 1201


def test_products_prices_sales_and_budget(client, admin, make_user, make_customer, run_jobs):
    rep = make_user(email="lee.chen@example.com")
    customer = make_customer(rep, code="PATITO-000001", sop_name="BAYOU FOODS",
                             aliases=["BAYOU"])
    validate_and_apply(client, run_jobs, "products", workbook_bytes(("Items", [
        ["Item Code", "Description", "Category", "UoM", "List Price", "Active"],
        [110001, "Peeled Garlic", "G01 - Garlic Production", "cs", 40, "Yes"],
        ["110002", "Diced Shallots", "G02 - Shallot Production", "CS", "35.5", "yes"]])))
    assert Product.objects.get(item_code="110001").uom == "CS"
    assert Product.objects.get(item_code="110002").list_price == 35.5

    validate_and_apply(client, run_jobs, "prices", workbook_bytes(("Prices", [
        ["Customer Code", "Item Code", "Customer Price", "Effective From", "Active"],
        ["patito-000001", 110001, 38.25, "2026-01", "Yes"],
        ["PATITO-000001", 110002, 30, datetime(2026, 2, 14), "No"]])))
    prices = {p.product.item_code: p for p in PriceEntry.objects(customer=customer)}
    assert prices["110001"].price == 38.25 and prices["110001"].effective_from == date(2026, 1,
                                                                                        1)
    assert prices["110002"].active is False

    sales_header = ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price",
                    "Sales", "COGS", "Gross Profit"]
    validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", [
        sales_header, ["PATITO-000001", 110001, 2025, 12, 10, 38, 380, 266, 114],
        ["PATITO-000001", 110001, 2026, 1, 12, 38, 456, 320, 136]])))
    second = validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", [
        sales_header, ["PATITO-000001", 110001, 2026, 1, 15, 38, 570, 400, 170],
        ["PATITO-000001", 110001, 2026, 2, 5, 38, 190, 133, 57]])))
    assert (second.counts["changed"], second.counts["added"]) == (1, 1)
    [bucket] = SalesHistory.objects(customer=customer)
    assert [(m.month, m.quantity) for m in bucket.months] == [("2025-12", 10), ("2026-01", 15),
                                                              ("2026-02", 5)]
    assert bucket.months[0].rep_id == rep.pk
    from sop.models.sales import fingerprint

    assert bucket.fingerprint == fingerprint(m.to_mongo() for m in bucket.months)

    budget = validate_and_apply(client, run_jobs, "budget", workbook_bytes(("Budget", [
        ["Sales Rep Email", "Customer S&OP", "Year", "Month", "Cases", "Sales"],
        [rep.email, "bayou", 2026, 12, 400, 15000],
        [rep.email, "UNKNOWN MART", 2026, 12, 50, 2000]])))
    assert budget.counts["warnings"] == 1
    matched = BudgetEntry.objects.get(sop_name="bayou")
    assert matched.customer.pk == customer.pk
    assert BudgetEntry.objects.get(sop_name="UNKNOWN MART").customer is None


def test_unknown_customer_and_item_are_row_errors(client, admin, run_jobs):
    upload(client, "prices", workbook_bytes(("Prices", [
        ["Customer Code", "Item Code", "Customer Price"], ["PATITO-999999", 110009, 1]])))
    run_jobs("imports")
    messages = {p.column: p.message for p in latest().problems}
    assert "Unknown customer code" in messages["Customer Code"]
    assert "Unknown item code" in messages["Item Code"]


@pytest.mark.parametrize(("data", "message"), [
    (b"not,a,workbook\n", "This is not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600,
     "password-protected"),
    (b"PK\x03\x04broken", "damaged"),
    (b"", "The file is empty"),
])
def test_hostile_files_are_refused_at_upload_with_a_clear_message(client, admin, data,
                                                                  message):
    response = upload(client, "customers", data)
    assert response.status_code == 302
    assert message in client.get("/imports").get_data(as_text=True)
    assert ImportLog.objects.count() == 0


def test_a_file_without_the_columns_explains_what_is_expected(client, admin, run_jobs):
    upload(client, "products", workbook_bytes(("Sheet1", [["Foo", "Bar"], [1, 2]])))
    run_jobs("imports")
    page = client.get(f"/imports/{latest().pk}").get_data(as_text=True)
    assert "Required: Item Code, Description, UoM" in page


def test_an_upload_whose_stored_chunk_went_missing_is_rejected_with_a_sentence(
        client, admin, make_user, run_jobs):
    rows = [CUSTOMER_HEADER, ["C-1", "Acme", "ACME", "", "South", "Yes"]]
    upload(client, "customers", workbook_bytes(("Customers", rows)))
    record = latest()
    chunks = get_db()[f"{services.UPLOAD_BUCKET}.chunks"]
    assert chunks.delete_many({"files_id": record.file_id}).deleted_count == 1
    run_jobs("imports")
    record.reload()
    assert record.status == "rejected"
    assert "could not be read" in record.error_message
    assert Customer.objects(code="C-1").count() == 0


def test_progress_fragment_polls_while_busy(client, admin):
    upload(client, "customers", workbook_bytes(("C", [CUSTOMER_HEADER])))
    fragment = client.get(f"/imports/{latest().pk}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'hx-trigger="every 1s"' in html
    assert re.search(r"Checking the file: 0 rows read", html)


def test_templates_have_required_marks_and_an_example_sheet(client, admin):
    workbook = load_workbook(io.BytesIO(client.get("/imports/templates/products.xlsx").data))
    assert workbook.sheetnames == ["Items", "Example", "Read me"]
    header = [c.value for c in workbook["Items"][1]]
    assert header[:2] == ["Item Code*", "Description*"] and "Active" in header
    assert workbook["Example"]["A2"].value == "110001"
    assert workbook["Items"].data_validations.dataValidation  # drop-downs for choices


def test_sales_reimport_counts_unchanged_months_against_saved_history(client, admin,
                                                                      make_user, make_customer,
                                                                      run_jobs):
    from sop.models import SalesMonth

    customer = make_customer(make_user(), code="PATITO-000001")
    product = Product(item_code="110001", description="Peeled Garlic").save()
    SalesHistory(customer=customer, product=product, months=[
        SalesMonth(month="2026-01", quantity=12.0, unit_price=38.0, sales=456.0, cogs=320.0,
                   gross_profit=136.0)]).save()
    record = validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", [
        ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price", "Sales",
         "COGS", "Gross Profit"],
        ["PATITO-000001", 110001, 2026, 1, 12, 38, 456, 320, 136]])))
    assert (record.counts["unchanged"], record.counts["writes"]) == (1, 0)


def test_importing_the_same_sales_file_twice_writes_nothing_the_second_time(
        client, admin, make_user, make_customer, run_jobs):
    make_customer(make_user(), code="PATITO-000001")
    Product(item_code="110001", description="Peeled Garlic").save()
    data = workbook_bytes(("Sales", [
        ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price", "Sales",
         "COGS", "Gross Profit"],
        ["PATITO-000001", 110001, 2025, 12, 10, 38.5, 385, None, None],
        ["PATITO-000001", 110001, 2026, 1, 12.5, 38, 475, 320, 155]]))
    first = validate_and_apply(client, run_jobs, "sales", data)
    second = validate_and_apply(client, run_jobs, "sales", data)
    assert first.counts["added"] == 2
    assert (second.counts["unchanged"], second.counts["writes"]) == (2, 0)
    from sop.models.sales import fingerprint

    [bucket] = raw_collection(SalesHistory).find()
    assert [m["month"] for m in bucket["months"]] == ["2025-12", "2026-01"]
    assert bucket["fingerprint"] == fingerprint(bucket["months"])  # as every writer keeps it


def test_the_budget_pivot_imports_by_rep_name_with_alias_matching(client, admin, make_user,
                                                                  make_customer, run_jobs):
    from tests.excel.test_budget_pivot import pivot

    jordan = make_user(full_name="Jordan Reyes")
    make_user(full_name="Lee Chen")
    make_customer(jordan, sop_name="BAYOU FOODS", aliases=["AVERRIT"])
    record = validate_and_apply(client, run_jobs, "budget", pivot([11, 12]))
    assert record.counts["added"] == 6
    assert record.counts["warnings"] == 1  # PRAIRIE GROCERS matches no customer: kept
    averrit = BudgetEntry.objects(sop_name="AVERRIT").first()
    assert averrit.rep.pk == jordan.pk and averrit.customer is not None
    assert BudgetEntry.objects(sop_name="PRAIRIE GROCERS", customer=None).count() == 2


def test_an_apply_interrupted_by_a_dead_worker_is_undone_later(client, admin, make_user,
                                                               make_customer, run_jobs,
                                                               monkeypatch):
    from mongoengine.connection import get_db

    from sop.imports.apply import UndoLog

    rep = make_user()
    make_customer(rep, code="PATITO-000001", name="Before", sop_name="BEFORE")
    rows = [CUSTOMER_HEADER, ["PATITO-000001", "After", "AFTER", rep.email, "South", "Yes"]] + [
        [f"PATITO-{n:06d}", f"New {n}", f"N{n}", rep.email, "South", "Yes"]
        for n in range(2, 800)]
    upload(client, "customers", workbook_bytes(("Customers", rows)))
    run_jobs("imports")
    record = latest()
    services.confirm_import(record.applied_by or User.objects.first(), record)
    # The worker writes the first chunk, then dies (no exception handling runs at all).
    target = raw_collection(Customer)
    undo_log = UndoLog(get_db(), record.pk, target)
    first = next(iter(services._staged_chunks(record.reload())))
    undo_log.prepare(first["operations"])
    services.write_staged_chunk(target, first["operations"])
    assert Customer.objects.count() == 500 and Customer.objects.get(
        code="PATITO-000001").name == "After"

    assert services.recover_interrupted_imports() == 0  # its job is still queued
    from sop.extensions import redis_queues

    redis_queues.queue("imports").empty()  # the job is gone with the worker
    assert services.recover_interrupted_imports() == 1
    assert Customer.objects.count() == 1
    assert Customer.objects.get(code="PATITO-000001").name == "Before"
    assert record.reload().status == "failed" and "interrupted" in record.error_message


def test_import_jobs_leave_the_cycle_collector_on_even_when_they_fail(
        client, admin, make_user, make_customer, run_jobs, monkeypatch):
    """The jobs pause Python's cycle collector while they read and write (speed); the
    worker must get it back whatever happens."""
    import gc

    make_customer(make_user(), code="PATITO-000001")
    Product(item_code="110001", description="Peeled Garlic").save()
    validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", [
        ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Sales"],
        ["PATITO-000001", 110001, 2026, 1, 12, 456]])))
    assert gc.isenabled()

    def broken(target, operations):
        raise OperationFailure("disk full")

    from pymongo.errors import OperationFailure

    monkeypatch.setattr(services, "write_staged_chunk", broken)
    record = validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", [
        ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Sales"],
        ["PATITO-000001", 110001, 2026, 2, 5, 190]])))
    assert record.status == "failed" and gc.isenabled()


def test_the_problems_file_hands_uploaded_formulas_back_as_text(client, admin, run_jobs):
    """Issue 13, finding 5: a formula in the upload comes back in problems.xlsx as the text it
    was written as, in the annotated copy and in the list of problems."""
    from sop.excel.import_files import problems_workbook
    from sop.excel.masterdata import RowProblem

    link = '=HYPERLINK("http://x","y")'
    upload(client, "customers", workbook_bytes(("Customers", [
        CUSTOMER_HEADER,
        ["PATITO-000001", link, "LINKED", link, "South", "Yes"],
        ["PATITO-000002", "Plain", "PLAIN", "=1+1", "South", "Yes"]])))
    run_jobs("imports")
    record = latest()
    assert record.status == "rejected"
    data = client.get(f"/imports/{record.pk}/problems.xlsx").data
    report = load_workbook(io.BytesIO(data))
    assert report.sheetnames == ["Problems", "Customers"]
    for sheet in report.worksheets:
        for row in sheet.iter_rows():
            assert not [c.coordinate for c in row if c.data_type == "f"], sheet.title
    customers = report["Customers"]
    assert (customers["B2"].value, customers["D2"].value, customers["D3"].value) == (
        link, link, "=1+1")
    assert customers["B2"].quotePrefix  # Excel keeps it text when the cell is edited
    # The list alone (files too large to annotate) writes a formula-looking value as text too.
    listed = load_workbook(io.BytesIO(problems_workbook([RowProblem(
        "Customers", 2, "Customer Name", link, "Write a name.", "error")])))["Problems"]
    assert (listed["D2"].value, listed["D2"].data_type) == (link, "s")


def test_a_padded_zip_bomb_is_refused_at_upload_and_nothing_is_queued(client, admin):
    """Issue 13, finding 2: the bomb never reaches the imports worker."""
    from tests.excel.test_safety import padded_bomb

    response = upload(client, "sales", padded_bomb())
    page = client.get(response.location).get_data(as_text=True) if \
        response.status_code == 302 else response.get_data(as_text=True)
    assert "possibly a zip bomb" in page and "sheet1.xml" in page
    assert ImportLog.objects.count() == 0


SALES_HEADER = ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price",
                "Sales", "COGS", "Gross Profit"]


def sales_rows(count: int) -> bytes:
    return workbook_bytes(("Sales", [SALES_HEADER] + [
        ["PATITO-000001", 110001, 2000 + n // 12, n % 12 + 1, 10, 38, 380, 266, 114]
        for n in range(count)]))


def test_a_validation_is_capped_in_rows_and_in_seconds_and_says_which_limit(client, admin,
                                                                           run_jobs,
                                                                           monkeypatch):
    from sop.settings import store_value

    saved = client.htmx_post("/admin/settings/import_max_rows", {"value": "100"},
                             token_from="/admin/settings")
    assert saved.status_code == 200
    refused = upload(client, "sales", sales_rows(150))  # the sheet declares its 151 rows
    assert "at most 100 can be imported" in client.get(refused.location).get_data(as_text=True)
    assert latest() is None

    store_value("import_max_rows", 1_000_000, "test")
    store_value("import_max_seconds", 1, "test")  # below the page's minimum: a quick test
    # The check reads 25,000 rows in a fraction of a second: each block of 5,000 rows is made
    # to take 0.3 s more (its progress report), so the limit strikes while it reads.
    real_progress = services._progress

    def slow_progress(record_id, field):
        report = real_progress(record_id, field)
        return lambda count: (time.sleep(0.3), report(count))

    monkeypatch.setattr(services, "_progress", slow_progress)
    upload(client, "sales", xlsxwriter_bytes([SALES_HEADER] + [
        ["PATITO-000001", 110001, 2000 + n % 100, n % 12 + 1, 10, 38, 380, 266, 114]
        for n in range(25_000)], "Sales"))
    started = time.monotonic()
    run_jobs("imports")
    assert time.monotonic() - started < 10
    record = latest()
    assert record.status == "rejected" and record.counts["rows"] == 0
    page = client.get(f"/imports/{record.pk}").get_data(as_text=True)
    assert "The check stopped after 1 seconds" in page and "import_max_seconds" in page
    assert record.plan_file_id is None
    # The imports worker is free again: the next file is checked as usual.
    monkeypatch.setattr(services, "_progress", real_progress)
    store_value("import_max_seconds", 900, "test")
    upload(client, "sales", sales_rows(10))
    run_jobs("imports")
    assert latest().error_message is None
