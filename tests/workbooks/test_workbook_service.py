"""The rep workbook through the service: generate → file → import, preview, resolving sheets,
row errors, all-or-nothing, locked plans, hostile files."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from mongoengine.connection import get_db
from pymongo.errors import PyMongoError

from sop.excel.rep_workbook import SheetLine, write_rep_workbook
from sop.models import AuditEntry, Customer, ForecastLine, Product, Submission, WorkbookUpload
from sop.workbooks import apply, uploads
from sop.workbooks.access import WorkbookRefused
from sop.workbooks.download import generate_rep_workbook, workbook_plan
from sop.workbooks.naming import rep_code, rep_from_file_name, workbook_file_name
from sop.workbooks.uploads import confirm_upload, resolve_sheet, start_upload
from tests.workbooks.conftest import full

pytestmark = pytest.mark.usefixtures("app_context")


def sheet(plan, name):
    return next(s for s in plan.customers if s.name == name)


def line(plan, name, code):
    return next(x for x in sheet(plan, name).lines if x.item_code == code)


def workbook(company, edit=None) -> bytes:
    """The rep's generated workbook, edited the way a rep would edit it."""
    plan = workbook_plan(company.cycle, company.rep)
    if edit:
        edit(plan)
    return write_rep_workbook(plan)


def upload(company, data, actor=None):
    """Upload and read at once (as the command line does); a file that cannot be read is
    refused with the sentence the page would show."""
    record = start_upload(actor or company.rep, company.cycle, company.rep,
                          "Consolidated Master File SOP_Nov26 - JR.xlsx", data, in_worker=False)
    if record.status == "failed":
        raise WorkbookRefused(record.error_message)
    return record


def test_file_name_ends_in_the_reps_initials(company):
    assert rep_code(company.rep) == "JR"
    assert workbook_file_name(company.cycle, company.rep) == \
        "Consolidated Master File SOP_Nov26 - JR.xlsx"
    assert rep_from_file_name("Consolidated Master File SOP_Oct26 - jr.xlsb") == company.rep
    assert rep_from_file_name("Consolidated Master File SOP_Oct26 - OD (2).xlsx") == \
        company.other
    assert rep_from_file_name("plan.xlsx") is None


def test_the_plan_lists_the_reps_customers_items_and_lines(company):
    plan = workbook_plan(company.cycle, company.rep)
    assert [s.name for s in plan.customers] == ["ACME & SONS", "BAYOU FOODS"]
    # the catalog: the rep's active matrix items, not the other rep's only item (ginger is
    # also Bayou's) and not the resale jar, which is in no matrix
    assert [i.item_code for i in plan.catalog] == ["110001", "110002", "110003"]
    assert plan.months[0] == date(2026, 11, 1) and len(plan.months) == 16
    resale = line(plan, "ACME & SONS", "150001")
    assert resale.new_item and resale.qty == full(1) and resale.probability == 3
    assert line(plan, "BAYOU FOODS", "110001").price[:3] == [10.0, 10.5, None]


def test_a_generated_workbook_imports_back_to_the_same_lines(company):
    before = company.lines()
    data = generate_rep_workbook(company.rep, company.cycle, company.rep)
    assert AuditEntry.objects(action="workbook_downloaded").count() == 1

    same = upload(company, data)  # nothing to change
    assert (same.counts["unchanged"], same.counts["changed"], same.counts["errors"]) == (4, 0, 0)

    ForecastLine.objects(cycle=company.cycle).delete()
    record = upload(company, data)
    assert record.counts["added"] == 4 and record.counts["errors"] == 0
    confirm_upload(company.rep, record)
    after = company.lines()
    assert set(after) == set(before)
    for key, old in before.items():
        new = after[key]
        assert (new["qty"], new["price"], new["probability"], new["new_item"]) == \
            (old["qty"], old["price"], old["probability"], old["new_item"]), key
        assert new["source"] == "excel" and new["updated_by"] == company.rep.pk
    assert record.reload().status == "applied" and record.file_id is None


def test_last_cycles_lines_are_rolled_forward_while_this_cycle_has_none(company, make_cycle,
                                                                        make_line):
    ForecastLine.objects(cycle=company.cycle).delete()
    october = make_cycle("2026-10", status="closed")
    make_line(october, company.rep, company.bayou, company.garlic, qty=full(1),
              price=[9.0, 9.5], probability=1)
    plan = workbook_plan(company.cycle, company.rep)
    rolled = line(plan, "BAYOU FOODS", "110001")
    assert rolled.qty == [*full(2)[:15], None]  # Oct's M2 is Nov's M1; M16 is new
    assert rolled.price[:2] == [9.5, None] and rolled.probability == 1
    assert sheet(plan, "ACME & SONS").lines == []


def test_the_workbook_and_the_grids_copy_roll_last_cycle_forward_alike(company, make_cycle,
                                                                        make_line):
    """One rule (sop.plans.rolled_forward): last cycle as planned (its snapshot once frozen,
    not lines changed since), the rep's own line first, lines of only zeros dropped."""
    from sop.clock import now
    from sop.cycles.snapshot import freeze_snapshot
    from sop.forecasts.line_actions import copy_last_cycle

    ForecastLine.objects(cycle=company.cycle).delete()
    october = make_cycle("2026-10", status="closed")
    make_line(october, company.rep, company.bayou, company.garlic, qty=full(1), price=[9.0])
    make_line(october, company.rep, company.bayou, company.ginger, qty=[0.0] * 16,
              price=[0.0] * 16)
    frozen = make_line(october, company.rep, company.acme, company.shallot, qty=full(3))
    freeze_snapshot(october, now())
    october.update(set__snapshot_at=now())
    frozen.update(set__qty=[99.0] * 16)  # after the close: not what was planned

    plan = workbook_plan(company.cycle, company.rep)
    in_workbook = {(s.name, x.item_code): x.qty for s in plan.customers for x in s.lines}
    copy_last_cycle(company.rep, company.cycle, [company.bayou, company.acme])
    codes = {company.bayou.pk: "BAYOU FOODS", company.acme.pk: "ACME & SONS"}
    copied = {(codes[x.customer.pk], x.product.item_code): x.qty
              for x in ForecastLine.objects(cycle=company.cycle)}
    assert copied == in_workbook
    assert set(copied) == {("BAYOU FOODS", "110001"), ("ACME & SONS", "110003")}
    assert copied[("ACME & SONS", "110003")] == [*full(3)[1:], None]


def test_preview_counts_and_figures_before_and_after(company):
    def edit(plan):
        line(plan, "BAYOU FOODS", "110001").qty[0] = 50.0  # was 10
        acme = sheet(plan, "ACME & SONS")
        acme.lines = [x for x in acme.lines if x.item_code != "110003"]  # removed
        acme.lines.append(SheetLine("110001", "Peeled Garlic", 1, [5.0] * 16, [None] * 16))

    record = upload(company, workbook(company, edit))
    changes = {c["sheet"]: c for c in record.changes}
    bayou, acme = changes["BAYOU FOODS"], changes["ACME & SONS"]
    assert (bayou["added"], bayou["changed"], bayou["removed"], bayou["unchanged"]) == \
        (0, 1, 0, 1)
    assert (acme["added"], acme["changed"], acme["removed"], acme["unchanged"]) == (1, 0, 1, 1)
    ginger_cases = sum(2.5 + 0.25 * i for i in range(12))
    ginger_dollars = sum((2.5 + 0.25 * i) * (20 + 0.5 * i) for i in range(12))
    assert bayou["cases_before"] == sum(range(10, 22)) + ginger_cases
    assert bayou["cases_after"] == bayou["cases_before"] + 40
    # garlic: M1 at 10.00, later months at the last entered price 10.50
    assert bayou["dollars_before"] == pytest.approx(10 * 10 + sum(range(11, 22)) * 10.5
                                                    + ginger_dollars)
    assert bayou["dollars_after"] == pytest.approx(bayou["dollars_before"] + 40 * 10)
    # shallot (no price entered: matrix 30) out, garlic (matrix 11) in; the resale jar stays
    assert acme["cases_before"] == 1200 + 78 and acme["cases_after"] == 60 + 78
    assert acme["dollars_before"] == pytest.approx(1200 * 30 + 78 * 5)
    assert acme["dollars_after"] == pytest.approx(60 * 11 + 78 * 5)
    assert record.counts["added"] == 1 and record.counts["removed"] == 1
    assert company.lines()[("BAYOU FOODS", "110001")]["qty"][0] == 10  # nothing written yet

    confirm_upload(company.rep, record)
    lines = company.lines()
    assert lines[("BAYOU FOODS", "110001")]["qty"][0] == 50
    assert lines[("BAYOU FOODS", "110001")]["version"] == 2
    assert lines[("BAYOU FOODS", "110002")]["version"] == 1  # unchanged: not rewritten
    assert ("ACME & SONS", "110003") not in lines and ("ACME & SONS", "110001") in lines
    assert not lines[("ACME & SONS", "110001")]["new_item"]  # in Acme's matrix
    audited = AuditEntry.objects(action="forecast_line_updated")
    assert audited.count() == 3  # changed, added, removed
    changed = audited.filter(entity_id=str(lines[("BAYOU FOODS", "110001")]["_id"])).first()
    assert changed.changes == {"M1 qty": {"before": 10.0, "after": 50.0}}
    assert AuditEntry.objects(action="workbook_imported").count() == 1


def rename(old, new):
    def edit(plan):
        sheet(plan, old).name = new
    return edit


def test_an_unknown_sheet_mapped_to_a_customer_stores_the_alias(company):
    record = upload(company, workbook(company, rename("ACME & SONS", "Acme and Sons Inc")))
    match = next(m for m in record.sheets if m.name == "Acme and Sons Inc")
    assert match.match == "unmatched" and record.counts["unresolved"] == 1
    assert any("No customer of Jane Roe" in p.message for p in record.problems)
    with pytest.raises(WorkbookRefused, match="Resolve the sheets"):
        confirm_upload(company.rep, record)

    with pytest.raises(WorkbookRefused, match="Choose one of Jane Roe's customers"):
        resolve_sheet(company.rep, record, "Acme and Sons Inc", str(company.elsewhere.pk))
    with pytest.raises(WorkbookRefused, match="already gets sheet"):
        resolve_sheet(company.rep, record, "Acme and Sons Inc", str(company.bayou.pk))
    with pytest.raises(WorkbookRefused, match="Only an admin"):
        resolve_sheet(company.rep, record, "Acme and Sons Inc", "create")

    record = resolve_sheet(company.rep, record, "Acme and Sons Inc", str(company.acme.pk))
    assert record.counts["errors"] == 0
    assert "acme and sons inc" not in company.acme.reload().aliases  # only on confirm
    confirm_upload(company.rep, record)
    assert "acme and sons inc" in company.acme.reload().aliases
    # next time the sheet matches by alias
    again = upload(company, workbook(company, rename("ACME & SONS", "ACME AND SONS INC ")))
    assert next(m.match for m in again.sheets) == "alias"


def test_an_unknown_sheet_can_be_created_as_a_customer_by_an_admin(company, make_user):
    admin = make_user("admin")
    record = upload(company, workbook(company, rename("ACME & SONS", "NEW PLACE")), admin)
    record = resolve_sheet(admin, record, "NEW PLACE", "create")
    assert record.counts["errors"] == 0
    confirm_upload(admin, record)
    created = Customer.objects.get(sop_name="NEW PLACE")
    assert created.sales_rep == company.rep and created.code == "WB-NEW-PLACE"
    assert ("NEW PLACE", "150001") in company.lines()
    assert AuditEntry.objects(action="customer_created").count() == 1


def test_a_sheet_named_like_another_reps_customer_is_unknown(company):
    record = upload(company, workbook(company, rename("ACME & SONS", "OTHER CO")))
    assert next(m for m in record.sheets if m.name == "OTHER CO").match == "unmatched"


def test_an_unknown_item_is_a_row_error_that_blocks_the_confirm(company):
    def edit(plan):
        sheet(plan, "BAYOU FOODS").lines.append(
            SheetLine("199999", "Mystery", None, [3.0] * 16, [None] * 16, new_item=True))

    record = upload(company, workbook(company, edit))
    error = next(p for p in record.problems if p.severity == "error")
    assert (error.sheet, error.column, error.value) == ("BAYOU FOODS", "D", "199999")
    assert error.row and error.row > 7 and "Unknown item code" in error.message
    with pytest.raises(WorkbookRefused, match="1 error"):
        confirm_upload(company.rep, record)
    assert company.lines()[("BAYOU FOODS", "110001")]["version"] == 1


def test_probability_variants_are_warnings_not_errors(company):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook(company)))
    sheet_ = book["BAYOU FOODS"]
    row = next(r for r in range(8, 40) if sheet_.cell(r, 4).value in (110001, "110001"))
    sheet_.cell(row, 6).value = "Customer Fprecast - Mid Risk"
    out = io.BytesIO()
    book.save(out)
    record = upload(company, out.getvalue())
    assert record.counts["errors"] == 0 and record.counts["warnings"] >= 1
    confirm_upload(company.rep, record)
    assert company.lines()[("BAYOU FOODS", "110001")]["probability"] == 2


def test_a_failure_on_the_last_write_leaves_nothing_changed(company, make_user, monkeypatch):
    admin = make_user("admin")

    def edit(plan):
        sheet(plan, "ACME & SONS").name = "NEW PLACE"  # a customer to create
        sheet(plan, "BAYOU FOODS").name = "Bayou Foods Co"  # an alias to store
        for x in sheet(plan, "Bayou Foods Co").lines:
            x.qty = [q * 2 for q in x.qty]

    record = upload(company, workbook(company, edit), admin)
    resolve_sheet(admin, record, "NEW PLACE", "create")
    record = resolve_sheet(admin, record, "Bayou Foods Co", str(company.bayou.pk))
    before = company.lines()
    calls = []
    real = apply.execute_write

    def fail_last(collection, operations, session):
        calls.append(len(operations))
        if len(calls) == 5:  # customer, alias, then 3 line writes: the last one fails
            raise PyMongoError("disk full (injected)")
        return real(collection, operations, session)

    monkeypatch.setattr(apply, "WRITE_CHUNK", 1)
    monkeypatch.setattr(apply, "execute_write", fail_last)
    with pytest.raises(WorkbookRefused, match="nothing was changed"):
        confirm_upload(admin, record)
    assert len(calls) == 5
    assert company.lines() == before
    assert not Customer.objects(sop_name="NEW PLACE") and not company.bayou.reload().aliases
    assert record.reload().status == "previewed"
    assert not AuditEntry.objects(action__in=("workbook_imported", "forecast_line_updated"))

    monkeypatch.setattr(apply, "execute_write", real)  # the database is back
    confirm_upload(admin, record)
    assert Customer.objects(sop_name="NEW PLACE").count() == 1
    assert company.lines()[("BAYOU FOODS", "110001")]["qty"][0] == 20


def test_a_locked_plan_refuses_the_import(company):
    data = workbook(company)
    record = upload(company, data)
    Submission(cycle=company.cycle, rep=company.rep, status="submitted").save()
    with pytest.raises(WorkbookRefused, match="cannot change now"):
        upload(company, data)
    with pytest.raises(WorkbookRefused, match="cannot change now"):
        confirm_upload(company.rep, record)


def test_a_plan_submitted_just_before_the_write_refuses_the_import(company, monkeypatch):
    """The race the editable check alone cannot close: the rep submits (another tab) after
    the import checked the plan and before it writes. The transaction sees it; nothing lands."""
    def edit(plan):
        for x in sheet(plan, "BAYOU FOODS").lines:
            x.qty = [q * 2 for q in x.qty]

    record = upload(company, workbook(company, edit))
    before = company.lines()
    real = apply.submission_for

    def submitted_meanwhile(cycle, rep):
        submission = real(cycle, rep)
        Submission.objects(id=submission.pk).update_one(set__status="submitted")
        return submission

    monkeypatch.setattr(apply, "submission_for", submitted_meanwhile)
    with pytest.raises(WorkbookRefused, match="submitted while the workbook was being imported"):
        confirm_upload(company.rep, record)
    assert company.lines() == before


def test_a_rep_cannot_import_into_another_reps_plan(company):
    with pytest.raises(WorkbookRefused, match="only into your own plan"):
        start_upload(company.other, company.cycle, company.rep, "x.xlsx", workbook(company))
    with pytest.raises(WorkbookRefused, match="only your own workbook"):
        generate_rep_workbook(company.other, company.cycle, company.rep)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty"),
    (b"name,qty\nx,1\n", "not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100,
     "password-protected"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "damaged"),  # an .xls that is not one
    (zip_bytes({"hello.txt": b"hi"}), "not an Excel workbook"),
    (zip_bytes({"xl/workbook.xml": b"<workbook", "[Content_Types].xml": b"<x"}),
     "damaged|could not be read|No customer sheet"),
    (zip_bytes({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * 5_000_000}),
     "zip bomb"),
])
def test_a_hostile_or_broken_file_gets_a_clear_message(company, data, message):
    with pytest.raises(WorkbookRefused, match=message):
        upload(company, data)
    assert WorkbookUpload.objects(status__ne="failed").count() == 0  # a failed one is a log
    assert get_db()["workbook_files.files"].count_documents({}) == 0


def test_a_new_upload_discards_the_pending_preview(company):
    first = upload(company, workbook(company))
    second = upload(company, workbook(company))
    assert first.reload().status == "discarded" and first.file_id is None
    assert second.status == "previewed"
    # the file, what was read from it and the writes of its preview
    assert get_db()["workbook_files.files"].count_documents({}) == 3


def test_unknown_items_are_created_only_when_asked(company):
    def edit(plan):
        sheet(plan, "BAYOU FOODS").lines.append(
            SheetLine("160001", "Black Garlic ", 1, [3.0] * 16, [12.0] * 16, new_item=True))

    result = uploads.import_workbook(None, company.cycle, company.rep, "x.xlsx",
                                      workbook(company, edit), create_missing=True)
    assert result["applied"] and result["created_items"] == ["160001"]
    assert Product.objects.get(item_code="160001").description == "Black Garlic"
    assert company.lines()[("BAYOU FOODS", "160001")]["new_item"]


def test_a_transaction_too_large_for_the_database_says_to_split_the_file(company,
                                                                          monkeypatch):
    from pymongo.errors import OperationFailure

    def refuse(collection, operations, session):
        raise OperationFailure("too large", code=10334,
                               details={"codeName": "TransactionTooLargeForCache"})

    record = upload(company, workbook(company, lambda plan: [
        setattr(x, "qty", [q + 1 for q in x.qty]) for s in plan.customers for x in s.lines]))
    monkeypatch.setattr(apply, "execute_write", refuse)
    with pytest.raises(WorkbookRefused, match=r"cannot change 4 lines in one go.*Split"):
        confirm_upload(company.rep, record)
    assert all(line["version"] == 1 for line in company.lines().values())


def test_a_line_edited_after_the_preview_still_ends_as_the_file_says(company, monkeypatch):
    record = upload(company, workbook(company))  # every line unchanged in the preview
    assert record.counts["unchanged"] == 4 and record.plan_id is not None
    garlic = company.lines()[("BAYOU FOODS", "110001")]
    ForecastLine.objects(id=garlic["_id"]).update_one(set__qty__0=999.0, inc__version=1)

    confirm_upload(company.rep, record)  # the preview's writes are stale: computed again
    line = company.lines()[("BAYOU FOODS", "110001")]
    assert line["qty"][0] == 10.0 and line["version"] == 3
    assert record.reload().counts["changed"] == 1


def test_an_unchanged_database_confirms_the_previewed_writes(company, monkeypatch):
    def edit(plan):
        line(plan, "BAYOU FOODS", "110002").qty[3] = 0.5

    record = upload(company, workbook(company, edit))

    def no_second_look(*args, **kwargs):
        raise AssertionError("the preview's writes should have been used")

    monkeypatch.setattr(uploads, "plan_import", no_second_look)
    confirm_upload(company.rep, record)
    assert company.lines()[("BAYOU FOODS", "110002")]["qty"][3] == 0.5
    assert AuditEntry.objects(action="forecast_line_updated").count() == 1


def test_the_nightly_cleanup_discards_previews_nobody_confirmed(company):
    from datetime import timedelta

    from sop.clock import now
    from sop.jobs.maintenance import cleanup

    stale = upload(company, workbook(company))
    files = [stale.file_id, stale.parsed_id]
    WorkbookUpload.objects(id=stale.pk).update_one(set__created_at=now() - timedelta(days=8))
    assert "discarded 1 workbook previews" in cleanup()
    stale.reload()
    assert stale.status == "discarded" and stale.file_id is None
    assert not any(uploads._files().exists(file_id) for file_id in files)

    fresh = upload(company, workbook(company))
    assert "discarded 0 workbook previews" in cleanup()
    assert fresh.reload().status == "previewed" and uploads._files().exists(fresh.file_id)
