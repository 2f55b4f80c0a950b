"""Every generated workbook shows what it showed when openpyxl wrote it: the snapshot of each
writer's file (values, types, number formats, fonts, fills, alignment, borders, quote prefixes,
formulas, frozen panes, autofilters, merges, validations, conditional formats, widths, print
setup; read back with openpyxl) equals the one taken from the openpyxl writers before they
moved to XlsxWriter (golden/*.json, made by tests/excel/make_golden.py from writer_cases.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.excel.writer_cases import CASES
from tests.excel.xlsx_snapshot import snapshot

GOLDEN = Path(__file__).with_name("golden")
QUOTED = ["General", [False, False, 11.0, None], None, [None, None, False], None, True]
# What changed on purpose, by case and cell: the new cell, and why.
CHANGED = {
    ("template_customers", "Example", "N2"): (
        ["+1 555 0100", "s", QUOTED],
        "text starting with + now carries the quote prefix, as all such text does: editing "
        "the example phone number in Excel no longer turns it into a formula"),
}


def _differences(expected: dict, actual: dict) -> list[str]:
    found = []
    if expected["sheets"] != actual["sheets"]:
        found.append(f"sheets {expected['sheets']} != {actual['sheets']}")
    for name in expected["sheets"]:
        old, new = expected[name], actual.get(name, {})
        for side in (old, new):  # fit to 1 page wide/tall is OOXML's default when not said
            if "print" in side:
                side["print"][1:3] = [1 if fit is None else fit for fit in side["print"][1:3]]
        for key in old:
            if key != "cells" and old[key] != new.get(key):
                found.append(f"{name} {key}: {old[key]} != {new.get(key)}")
        old_cells, new_cells = old["cells"], new.get("cells", {})
        for ref in sorted(set(old_cells) | set(new_cells)):
            if old_cells.get(ref) != new_cells.get(ref):
                found.append(f"{name}!{ref}: {old_cells.get(ref)} != {new_cells.get(ref)}")
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_writer_makes_the_file_it_made_with_openpyxl(case):
    expected = json.loads((GOLDEN / f"{case}.json").read_text())
    for (changed_case, sheet, ref), (cell, _why) in CHANGED.items():
        if changed_case == case:
            expected[sheet]["cells"][ref] = cell
    actual = json.loads(json.dumps(snapshot(CASES[case]())))  # as stored: lists, not tuples
    differences = _differences(expected, actual)
    assert not differences, "\n".join(differences[:40])
