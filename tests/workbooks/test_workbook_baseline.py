"""The statistical baseline in the rep workbook (issue 16): a read-only block right of the
sales block on every customer sheet, per item row the baseline cases per bucket and the
method; never read back on upload."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from sop.excel.rep_workbook import Layout
from sop.excel.rep_workbook.layout import letter
from sop.models import BaselineLine, ForecastLine
from sop.workbooks.download import generate_rep_workbook
from sop.workbooks.uploads import confirm_upload, start_upload

pytestmark = pytest.mark.usefixtures("app_context")

LAYOUT = Layout(16)


def upload(company, data):
    return start_upload(company.rep, company.cycle, company.rep,
                        "Consolidated Master File SOP_Nov26 - JR.xlsx", data, in_worker=False)


def baseline_cells(sheet, code: str) -> tuple[list, object]:
    """The baseline block of the item row of `code` (first one): cases M1-M16, method."""
    for row in sheet.iter_rows(min_row=8, values_only=True):
        if row[3] is not None and str(row[3]).zfill(6) == code:
            block = list(row[LAYOUT.baseline:LAYOUT.baseline_method + 1])
            block += [None] * (17 - len(block))
            return block[:16], block[16]
    raise AssertionError(f"no row for {code}")


@pytest.fixture
def with_baselines(company):
    BaselineLine(cycle=company.cycle, customer=company.bayou, product=company.garlic,
                 qty=[12.5] * 4 + [7.0] * 12, method="theta", error=8.1).save()
    # a catalog item Acme has in its matrix but no line for, and a new item planned
    BaselineLine(cycle=company.cycle, customer=company.acme, product=company.garlic,
                 qty=[3.0] * 16, method="seasonal_naive").save()
    BaselineLine(cycle=company.cycle, customer=company.acme, product=company.resale,
                 qty=[0.0] * 16, method="dead", state="dead").save()
    return company


def test_the_download_shows_each_items_baseline_in_a_labelled_read_only_block(with_baselines):
    company = with_baselines
    book = load_workbook(io.BytesIO(generate_rep_workbook(company.rep, company.cycle,
                                                          company.rep)))
    bayou, acme = book["BAYOU FOODS"], book["ACME & SONS"]
    first = letter(LAYOUT.baseline)
    assert first == "BH" and bayou[f"{first}4"].value.startswith(
        "STATISTICAL BASELINE (CASES): read-only")
    assert "not read on upload" in bayou[f"{first}4"].value
    assert bayou[f"{first}7"].value.date() == company.cycle.bucket_months[0]
    assert bayou[f"{letter(LAYOUT.baseline_method)}7"].value == "Baseline method"

    assert baseline_cells(bayou, "110001") == ([12.5] * 4 + [7.0] * 12, "theta")
    assert baseline_cells(bayou, "110002") == ([None] * 16, None)  # no baseline: blank
    assert baseline_cells(acme, "110001") == ([3.0] * 16, "seasonal_naive")  # not planned
    assert baseline_cells(acme, "150001") == ([0.0] * 16, "dead")  # the new-item block

    # greyed, and Excel refuses typing there
    last = letter(LAYOUT.baseline_method)
    grey = [rule for rng in bayou.conditional_formatting for rule in rng.rules
            if f"{first}8:{last}" in str(rng.sqref)]
    assert grey and grey[0].dxf.fill.bgColor.rgb.endswith("E7E6E6")  # a look's fill: bgColor
    refusing = [v for v in bayou.data_validations.dataValidation if v.type == "custom"]
    assert len(refusing) == 1 and refusing[0].formula1 == "FALSE"
    assert f"{first}8:{last}" in str(refusing[0].sqref)
    assert "not read on upload" in refusing[0].error


def test_a_downloaded_workbook_with_baselines_uploads_unchanged(company):
    plain = upload(company, generate_rep_workbook(company.rep, company.cycle, company.rep))
    BaselineLine(cycle=company.cycle, customer=company.bayou, product=company.garlic,
                 qty=[12.5] * 16, method="theta").save()
    BaselineLine(cycle=company.cycle, customer=company.acme, product=company.garlic,
                 qty=[3.0] * 16, method="seasonal_naive").save()
    data = generate_rep_workbook(company.rep, company.cycle, company.rep)
    assert baseline_cells(load_workbook(io.BytesIO(data))["ACME & SONS"], "110001") == \
        ([3.0] * 16, "seasonal_naive")

    record = upload(company, data)
    assert record.counts == plain.counts
    assert (record.counts["unchanged"], record.counts["changed"], record.counts["added"],
            record.counts["removed"], record.counts["errors"]) == (4, 0, 0, 0, 0)
    assert [p.message for p in record.problems] == [p.message for p in plain.problems]

    # into an empty plan: the baseline-only row (Acme's garlic) does not become a line
    ForecastLine.objects(cycle=company.cycle).delete()
    record = upload(company, data)
    assert record.counts["added"] == 4 and record.counts["errors"] == 0
    confirm_upload(company.rep, record)
    assert ForecastLine.objects(cycle=company.cycle, customer=company.acme,
                                product=company.garlic).count() == 0
