"""The package layout rules that keep development tooling out of the application."""

from __future__ import annotations

import ast
from pathlib import Path

SOP = Path(__file__).resolve().parents[1] / "sop"


def imports_of_dev(tree: ast.AST) -> list[tuple[int, bool]]:
    """(line, at module level) of every import of `sop.dev` in a module."""
    found: list[tuple[int, bool]] = []
    top_level = {id(node) for node in getattr(tree, "body", [])}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        if any(name == "sop.dev" or name.startswith("sop.dev.") for name in names):
            found.append((node.lineno, id(node) in top_level))
    return found


def test_the_app_never_imports_the_dev_package_except_seed_demo_lazily() -> None:
    offenders = []
    for path in sorted(SOP.rglob("*.py")):
        relative = path.relative_to(SOP).as_posix()
        if relative.startswith("dev/"):
            continue
        for line, at_top in imports_of_dev(ast.parse(path.read_text(), str(path))):
            if relative != "cli.py" or at_top:
                offenders.append(f"sop/{relative}:{line}")
    assert offenders == []
    assert imports_of_dev(ast.parse((SOP / "cli.py").read_text())), "seed-demo loads sop.dev"

