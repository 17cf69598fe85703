"""Imports only go downwards (docs/CONVENTIONS.md "Layers"):

    web → schema.schema → schema.roots → resolvers → schema (types, loaders, context, …) → services → db

and `services/rules` (pure value sets) may be imported by every layer. Function-level and TYPE_CHECKING
imports count too: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (module, imported module): the upward imports that are known and explained.
KNOWN = {
    # The slow-subscriber cut-off closes the WebSocket (a transport concern) from the subscription.
    ("resolvers.events", "web.ws"),
}


def rank(module: str) -> int | None:
    if module.startswith("services.rules"):
        return None  # pure value sets: below everything
    for prefix, level in (
        ("web", 6),
        ("schema.schema", 5),
        ("schema.roots", 4),
        ("resolvers", 3),
        ("schema", 2),
        ("services", 1),
        ("db", 0),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return level
    return None


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_imports_only_go_downwards():
    upward = []
    for package in ("web", "schema", "resolvers", "services", "db"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            mine = rank(module)
            for line, imported in imports(path):
                theirs = rank(imported)
                if mine is None or theirs is None or theirs <= mine or (module, imported) in KNOWN:
                    continue
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert upward == []


def test_rule_modules_are_pure():
    """services/rules/*.py import nothing of the project but each other."""
    for path in sorted((ROOT / "services" / "rules").glob("*.py")):
        for line, imported in imports(path):
            assert rank(imported) is None or imported.startswith("services.rules"), f"{path.name}:{line} {imported}"
