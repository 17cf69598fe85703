"""schema.graphql, committed at the repository root, is the SDL the server serves (`python main.py schema`).

Clients, reviewers and the contract check (tests/test_contract.py) read the snapshot, so a change to
the schema comes with its snapshot: `make schema-snapshot` regenerates it.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "schema.graphql"
REGENERATE = "run `make schema-snapshot` (it writes `python main.py schema` to schema.graphql) and commit the result"


def served_sdl() -> str:
    """The SDL exactly as `main.py schema` prints it (what `make schema-snapshot` writes)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "schema"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"`python main.py schema` failed:\n{result.stderr}"
    assert "type Query" in result.stdout, result.stdout[:500]
    return result.stdout


def _normalised(sdl: str) -> str:
    # A checkout with CRLF line endings or a missing final newline is still the same schema.
    return sdl.replace("\r\n", "\n").rstrip("\n") + "\n"


def test_snapshot_is_the_served_schema():
    assert SNAPSHOT.exists(), f"{SNAPSHOT.name} is missing: {REGENERATE}"
    snapshot, served = _normalised(SNAPSHOT.read_text()), _normalised(served_sdl())
    if snapshot != served:
        diff = "".join(
            difflib.unified_diff(
                snapshot.splitlines(keepends=True),
                served.splitlines(keepends=True),
                "schema.graphql (committed)",
                "served (python main.py schema)",
                n=2,
            )
        )
        if len(diff) > 6000:
            diff = diff[:6000] + "\n… (diff cut)\n"
        pytest.fail(f"schema.graphql is not the served schema: {REGENERATE}.\n{diff}", pytrace=False)


def test_production_serves_the_same_schema():
    # The snapshot is made from the development build; production differs in behaviour only
    # (no introspection, no suggestions), never in its types.
    from schema.schema import build_schema

    assert build_schema(production=True).as_str() == build_schema().as_str()
