"""The schema against the public API contract (../shared/spec/contract.graphql): both the committed
snapshot (schema.graphql) and the SDL the server serves.

The contract and its checker (../shared/tools/check-contract) live beside the repository, not in it
(`TANDEM_SHARED_DIR` points elsewhere). Where they are absent, as in a bare clone, these checks are
skipped; tests/test_schema_snapshot.py still keeps the snapshot equal to the served schema.

No violation is allowed outside the parts not built yet, named in NOT_YET_BUILT (the types and fields
the checker reports as removed); an entry that no longer occurs fails the stale-entry test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_schema_snapshot import REGENERATE, SNAPSHOT, served_sdl

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TANDEM_SHARED_DIR") or ROOT.parent / "shared")
CHECKER = SHARED / "tools" / "check-contract"
CONTRACT = SHARED / "spec" / "contract.graphql"

# Both parts of the contract are served in full; a part not built yet would be named here, each entry
# removed as it is built.
NOT_YET_BUILT: set[str] = set()

_SUBJECT = [
    re.compile(r"^FIELD_REMOVED: Field (\S+) was removed\.$"),
    re.compile(r"^TYPE_REMOVED: Standard scalar (\S+) was removed"),
    re.compile(r"^TYPE_REMOVED: (\S+) was removed\.$"),
]


def subject_of(line: str) -> str | None:
    """The type or field a "removed" violation is about; None for any other kind of violation."""
    for pattern in _SUBJECT:
        if m := pattern.match(line):
            return m.group(1)
    return None


def _require_shared() -> None:
    missing = [str(path) for path in (CHECKER, CONTRACT) if not path.exists()]
    if missing:
        pytest.skip(
            f"contract check skipped: {' and '.join(missing)} not found (the shared folder beside the "
            "repository holds the contract and its checker; set TANDEM_SHARED_DIR to use another one)"
        )


@pytest.fixture(scope="module", params=["snapshot", "served"])
def violations(request, tmp_path_factory) -> list[str]:
    """The checker's violations for the committed schema.graphql, and for the served SDL."""
    _require_shared()
    if request.param == "snapshot":
        assert SNAPSHOT.exists(), f"{SNAPSHOT.name} is missing: {REGENERATE}"
        path = SNAPSHOT
    else:
        path = tmp_path_factory.mktemp("contract") / "served.graphql"
        path.write_text(served_sdl())
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(path), str(CONTRACT)], capture_output=True, text=True, check=False
    )
    lines = [line for line in result.stdout.splitlines() if ":" in line]
    assert result.returncode == (1 if lines else 0), result.stdout + result.stderr
    return lines


def test_no_violation_outside_the_parts_not_built_yet(violations):
    unexpected = [line for line in violations if subject_of(line) not in NOT_YET_BUILT]
    assert unexpected == [], "\n".join(unexpected)


def test_allowed_list_has_no_stale_entries(violations):
    still_missing = {subject_of(line) for line in violations}
    stale = sorted(NOT_YET_BUILT - still_missing)
    assert stale == [], f"now served, remove from NOT_YET_BUILT: {stale}"


def test_subject_parser_rejects_other_violation_kinds():
    assert subject_of("FIELD_CHANGED_KIND: User.email changed type from String! to String.") is None
    assert subject_of("FIELD_REMOVED: Field Query.orders was removed.") == "Query.orders"
    assert subject_of("TYPE_REMOVED: Survey was removed.") == "Survey"
