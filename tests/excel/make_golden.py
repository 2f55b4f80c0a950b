"""Write golden/<case>.json from the writers as they are now: run once, before a writer
changes library, to fix what its files must keep showing (python -m tests.excel.make_golden)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.excel.writer_cases import CASES
from tests.excel.xlsx_snapshot import snapshot

GOLDEN = Path(__file__).with_name("golden")

if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, write in CASES.items():
        (GOLDEN / f"{name}.json").write_text(json.dumps(snapshot(write()), indent=0,
                                                        sort_keys=True) + "\n")
        print(name)
