"""The message catalogs' upkeep: extract every msgid the code uses (Babel's Python extractor) and
update services/locales/*/LC_MESSAGES/tandem.po with them (`make messages`, i.e.
`python -m services.i18n_catalogs`). New msgids arrive untranslated; msgids no longer used are
dropped; translations already there are kept. tests/services/test_message_catalogs.py extracts the same
way and fails while a msgid lacks a translation in either catalog.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from services.i18n import CATALOG_FOLDERS, DOMAIN, LOCALES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("services", "resolvers", "schema", "web")

# Where a literal is a msgid: `T(msgid, ...)`, and the message helpers that take a literal message or
# label and make it a Text (services/errors.py, services/validation.py, services/linked_records.py).
# The number is the argument's position, counting from 1.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "T": None,
    "Text": None,
    "DomainError": (2,),
    "invalid": None,
    "not_found": None,
    "check_version": None,
    "version_conflict": None,
    "require": (2,),
    "text": (2,),
    "money": (2,),
    "checked_text": (2,),
    "refuse": None,
    "BadUserInput": None,
    "Forbidden": None,
    "NotAuthenticated": None,
    "_rate_limited": (3,),
    "active_user": (3,),
    "_items": (3,),
}


def runtime_messages() -> set[str]:
    """Msgids the code builds from tables rather than writes as literals: the state machines' names
    for things, verbs and hints, and the names of the things comments are about."""
    from services import (
        action_items,
        comments,
        opportunity_transitions,
        order_transitions,
        service_jobs,
        surveys,
        ticket_transitions,
    )

    machines = (
        action_items.ACTIONS,
        order_transitions.ORDERS,
        opportunity_transitions.OPPORTUNITIES,
        service_jobs.JOBS,
        surveys.SURVEYS,
        ticket_transitions.TICKETS,
    )
    found = set().union(*(machine.messages() for machine in machines))
    found |= {comments.subject_label(name) for name in comments.SUBJECT_TYPES}
    # Department names inside sentences ("must be an active marketing user").
    return found | {department.lower() for department in ("MARKETING", "SERVICE")}


HEADER = """\
# Tandem's user-facing messages (services/i18n.py). msgid: the English text; msgstr: this language's.
# `make messages` adds new msgids (untranslated) and drops unused ones; translate here, keep the {placeholders}.
#"""


def _skip(path: str) -> bool:
    parts = Path(path).parts
    return "__pycache__" in parts or "locales" in parts or "migrations" in parts


def extract() -> dict[str, list[tuple[str, int]]]:
    """Every msgid in the sources → where it is used (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        results = extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            directory_filter=lambda path: not _skip(path),
        )
        for filename, line, message, _comments, _context in results:
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{folder}/{filename}", line))
    for message in runtime_messages():
        found.setdefault(message, []).append(("services/i18n_catalogs.py", 0))
    return found


def po_path(folder: str) -> Path:
    return LOCALES / folder / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(folder: str) -> Catalog:
    with po_path(folder).open("rb") as po:
        return read_po(po, locale=folder)


def update() -> Iterator[str]:
    """Brings every catalog up to date with the sources; yields one line per catalog."""
    messages = extract()
    for folder in CATALOG_FOLDERS.values():
        path = po_path(folder)
        old = read(folder) if path.exists() else Catalog(locale=folder, domain=DOMAIN)
        new = Catalog(
            locale=folder,
            domain=DOMAIN,
            project="Tandem",
            fuzzy=False,
            header_comment=HEADER,
            creation_date=old.creation_date,  # unchanged messages: an unchanged file
            revision_date=old.revision_date,
        )
        for msgid in sorted(messages):
            kept = old.get(msgid)
            # Files only, no line numbers: a catalog changes when its messages do, not when code moves.
            files = sorted({path for path, _ in messages[msgid]})[:3]
            new.add(msgid, kept.string if kept is not None else "", locations=[(f, None) for f in files])  # type: ignore[misc]
        missing = [m for m in messages if not new[m].string]
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, new, width=120, sort_output=True)
        yield f"{path.relative_to(ROOT)}: {len(messages)} messages, {len(missing)} untranslated"


if __name__ == "__main__":
    for line in update():
        print(line)
    sys.exit(0)
