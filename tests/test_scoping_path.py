"""One scoping path (issue 12): every raw collection read of a rep-scoped model in `sop/` is
scoped through sop.security (`scoped_filter` / `scoped_query` / `scoped`), or its function
says in one comment why it needs no scope of its own:

- `# scoped by caller: <why>`: the ids or query it reads by were scoped by its caller (a
  row loaded with get_scoped_or_404, a report context's scope, the acting rep's own plan);
- `# not rep-scoped: <why>`: a read that no rep's request reaches, or that is not a rep's
  view of the data (a job, an admin's import, the managers' board, signing in).

A read is `raw_collection(<Model>)` followed by find / find_one / aggregate /
count_documents / distinct / estimated_document_count, directly or through a name bound to it
in the same function, or the collection handed to another function that reads it."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import mongoengine

import sop.models
from sop.db import raw_collection

SOP = Path(__file__).resolve().parent.parent / "sop"
READS = {"find", "find_one", "aggregate", "count_documents", "distinct",
         "estimated_document_count"}
SCOPING_CALLS = {"scoped_filter", "scoped_query", "scoped", "get_scoped_or_404"}
MARKER = re.compile(r"#\s*(scoped by caller|not rep-scoped):\s*\S")


def rep_scoped_models() -> set[str]:
    """Documents that declare a rep scope of their own (not shared reference data)."""
    names = set()
    for name, value in vars(sop.models).items():
        if inspect.isclass(value) and issubclass(value, mongoengine.Document):
            scope = getattr(value, "rep_scope", None)
            if isinstance(scope, str) and scope != "all":
                names.add(name)
    return names


def _collection_of(node: ast.AST, models: set[str]) -> str | None:
    """`Model` when `node` is `raw_collection(Model)` of a rep-scoped model."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "raw_collection" and len(node.args) == 1
            and isinstance(node.args[0], ast.Name) and node.args[0].id in models):
        return node.args[0].id
    return None


def unscoped_reads(source: str, models: set[str], where: str = "<source>") -> list[str]:
    """`where:line Model.read` of every read not scoped and not marked."""
    tree = ast.parse(source)
    lines = source.splitlines()
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent

    def functions(node: ast.AST) -> list[ast.AST]:
        found = []
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(node)
        return found

    def bound_names(function: ast.AST) -> dict[str, str]:
        names = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                    node.targets[0], ast.Name):
                model = _collection_of(node.value, models)
                if model:
                    names[node.targets[0].id] = model
        return names

    def justified(function: ast.AST) -> bool:
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(
                    node.func, "attr", None)
                if name in SCOPING_CALLS:
                    return True
        body = lines[function.lineno - 1:function.end_lineno]
        return any(MARKER.search(line) for line in body)

    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        reads: list[str] = []
        if isinstance(node.func, ast.Attribute) and node.func.attr in READS:
            model = _collection_of(node.func.value, models)
            if model is None and isinstance(node.func.value, ast.Name):
                for function in functions(node):
                    model = bound_names(function).get(node.func.value.id)
                    if model:
                        break
            if model:
                reads.append(f"{model}.{node.func.attr}")
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            model = _collection_of(argument, models)
            if model:
                reads.append(f"{model} handed to a reader")
        if not reads:
            continue
        enclosing = functions(node)
        if any(justified(function) for function in enclosing):
            continue
        if not enclosing and MARKER.search(lines[node.lineno - 1]):
            continue
        problems.extend(f"{where}:{node.lineno} {read}" for read in reads)
    return problems


def test_every_raw_read_of_rep_owned_data_goes_through_the_scoping_path():
    models = rep_scoped_models()
    assert {"ForecastLine", "ForecastSnapshot", "Submission", "Customer", "PriceEntry",
            "SalesHistory", "BudgetEntry", "WorkbookUpload", "Report"} <= models
    problems = []
    for path in sorted(SOP.rglob("*.py")):
        problems += unscoped_reads(path.read_text(), models, str(path.relative_to(SOP)))
    assert problems == [], "raw reads without scoped_filter or a marker:\n" + "\n".join(
        problems)


def test_the_check_finds_an_unscoped_read_and_accepts_a_scoped_or_explained_one():
    models = {"ForecastLine", "Customer"}
    bare = ("def lines(cycle):\n"
            "    return raw_collection(ForecastLine).find({'cycle': cycle})\n")
    through_name = ("def lines(cycle):\n"
                    "    collection = raw_collection(ForecastLine)\n"
                    "    return list(collection.distinct('rep', {'cycle': cycle}))\n")
    handed = "def names(ids):\n    return by_id(raw_collection(Customer), ids)\n"
    assert unscoped_reads(bare, models) == ["<source>:2 ForecastLine.find"]
    assert unscoped_reads(through_name, models) == ["<source>:3 ForecastLine.distinct"]
    assert unscoped_reads(handed, models) == ["<source>:2 Customer handed to a reader"]
    scoped = ("def lines(cycle, user):\n"
              "    return raw_collection(ForecastLine).find(\n"
              "        scoped_query(ForecastLine, user, {'cycle': cycle}))\n")
    explained = ("def lines(cycle, rep):\n"
                 "    # scoped by caller: `rep` is the acting rep\n"
                 "    return raw_collection(ForecastLine).find({'rep': rep})\n")
    unexplained = ("def lines(cycle, rep):\n"
                   "    # scoped by caller:\n"
                   "    return raw_collection(ForecastLine).find({'rep': rep})\n")
    assert unscoped_reads(scoped, models) == []
    assert unscoped_reads(explained, models) == []
    assert unscoped_reads(unexplained, models) == ["<source>:3 ForecastLine.find"]
    assert unscoped_reads(bare.replace("ForecastLine", "AuditEntry"), models) == []


def test_scoped_filter_reads_the_same_rows_as_scoped(app_context, make_user, make_customer,
                                                     make_product, make_price, make_cycle,
                                                     make_line):
    from sop.models import Customer, ForecastLine, ImportLog, PriceEntry, Product, User
    from sop.security import scoped, scoped_filter, scoped_query, visible_reps

    rep, other = make_user("sales_rep"), make_user("sales_rep")
    manager = make_user("manager")
    mine, theirs = make_customer(rep), make_customer(other)
    product = make_product()
    make_price(mine, product, 10.0)
    make_price(theirs, product, 11.0)
    cycle = make_cycle()
    make_line(cycle, rep, mine, product, qty=[1])
    make_line(cycle, other, theirs, product, qty=[2])
    for model in (User, Customer, PriceEntry, ForecastLine, Product, ImportLog):
        for user in (rep, manager):
            raw = {doc["_id"] for doc in raw_collection(model).find(
                scoped_filter(model, user), {"_id": 1})}
            assert raw == set(scoped(model, user).scalar("id")), (model, user.role)
    assert {d["customer"] for d in raw_collection(ForecastLine).find(scoped_filter(
        ForecastLine, rep))} == {mine.pk}
    narrowed = scoped_query(PriceEntry, rep, {"customer": theirs.pk})
    assert not raw_collection(PriceEntry).count_documents(narrowed)
    assert visible_reps(rep) == [rep.pk] and visible_reps(manager) is None
