"""No private (underscore) name of the spreadsheet libraries anywhere in sop/: no attribute
that openpyxl, XlsxWriter, python-calamine or pyxlsb define with a leading underscore (unless
sop's own code defines an attribute of that name: then it is ours), no import from one of their
private modules, no private name imported from them. A library's private names change in any
release; sop pins versions, but must not be pinned to them.

The library names are collected from the installed libraries themselves (their sources, and
the classes of compiled modules), so the check knows `cell._style` and `wb._add_sheet` without
a hand-kept list; the first test shows it finds what the code once did."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from functools import cache
from pathlib import Path

LIBRARIES = ("openpyxl", "xlsxwriter", "python_calamine", "pyxlsb")
DOCUMENT_LIBRARIES = ("mongoengine", "pymongo", "bson", "wtforms", "flask_wtf")
SOP = Path(__file__).resolve().parents[1] / "sop"
PRIVATE = re.compile(r"(?:\.|\bdef\s+|\bclass\s+)(_[A-Za-z]\w*)")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@cache
def library_private_names() -> frozenset[str]:
    """The spreadsheet libraries' private names, less those the libraries sop's documents and
    forms come from define too (`Document._fields`, `._id`, `._data`): by name alone such a use
    is theirs, and it is not this check's business."""
    return frozenset(_private_names(LIBRARIES) - _private_names(DOCUMENT_LIBRARIES))


def _private_names(libraries: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for library in libraries:
        spec = importlib.util.find_spec(library)
        if spec is None or spec.origin is None:
            continue  # not installed: nothing of it can be used either
        for source in Path(spec.origin).parent.rglob("*.py*"):
            if source.suffix in (".py", ".pyi"):
                names.update(PRIVATE.findall(source.read_text(errors="replace")))
        module = importlib.import_module(library)
        for value in vars(module).values():
            if isinstance(value, type):
                names.update(name for name in dir(value) if _private(name))
    return names


def _library_imports(tree: ast.Module) -> set[str]:
    """Names a module imports from the libraries (classes to subclass, modules)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] in LIBRARIES)
    return names


def _library_classes(tree: ast.Module) -> list[ast.ClassDef]:
    """sop's classes that extend a library's class (their overrides are the library's)."""
    imported = _library_imports(tree)

    def root(base: ast.expr) -> str | None:
        while isinstance(base, ast.Attribute):
            base = base.value
        return base.id if isinstance(base, ast.Name) else None

    return [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
            and any(root(base) in imported for base in node.bases)]


def _own_names(trees: list[ast.Module]) -> set[str]:
    """Underscore names sop defines itself: functions and classes, and the attributes its own
    classes (not those extending a library's) set on `self`."""
    own: set[str] = set()
    for tree in trees:
        borrowed = {id(node) for cls in _library_classes(tree) for node in ast.walk(cls)}
        for node in ast.walk(tree):
            if id(node) in borrowed:
                continue
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id == "self":
                own.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
    return {name for name in own if _private(name)}


def private_uses(tree: ast.Module, own: set[str], where: str) -> list[str]:
    """Each use in `tree` of a library's private attribute, module or name, and each private
    method of a library's class overridden."""
    library = library_private_names()
    found = [f"{where}:{node.lineno}: override {cls.name}.{node.name}"
             for cls in _library_classes(tree) for node in cls.body
             if isinstance(node, ast.FunctionDef) and _private(node.name)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr in library \
                and node.attr not in own:
            found.append(f"{where}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] not in LIBRARIES:
                    continue
                if any(_private(part) for part in parts):
                    found.append(f"{where}:{node.lineno}: module {module}")
                if isinstance(node, ast.ImportFrom):
                    found += [f"{where}:{node.lineno}: {module}.{alias.name}"
                              for alias in node.names if _private(alias.name)]
    return found


ONCE_IN_SOP = '''
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from python_calamine import _python_calamine

class CellRowsWorksheet(WriteOnlyWorksheet):
    def _get_size(self):
        self._max_row = None

    def rows(self, values, row_idx):
        return self._values_to_row(values, row_idx)

def styled(cell, model, book, sheet, reader, workbook):
    cell._style = model._style
    book._add_sheet(sheet=sheet, index=None)
    return reader._shared_strings, workbook._date_formats
'''


def test_the_check_finds_what_sop_once_did():
    tree = ast.parse(ONCE_IN_SOP)
    found = private_uses(tree, _own_names([tree]), "once")
    text = "\n".join(found)
    for expected in ("module openpyxl.worksheet._write_only", "python_calamine._python_calamine",
                     "._values_to_row", "._style", "._add_sheet", "._shared_strings",
                     "._date_formats", "override CellRowsWorksheet._get_size", "._max_row"):
        assert expected in text, (expected, found)


def test_sop_uses_no_private_name_of_a_spreadsheet_library():
    files = sorted(SOP.rglob("*.py"))
    trees = [ast.parse(path.read_text(), str(path)) for path in files]
    own = _own_names(trees)
    found = [use for path, tree in zip(files, trees, strict=True)
             for use in private_uses(tree, own, str(path.relative_to(SOP.parent)))]
    assert found == []
