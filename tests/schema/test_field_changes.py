"""`Activity.changes` from the stored JSON (schema/types/field_changes.py): pairs and new-only values,
list fields, ids as global ids, and secrets never shown."""

from __future__ import annotations

import uuid

from schema.ids import to_global_id
from schema.types.field_changes import FieldChange, field_changes


def change(field: str, old: str | None, new: str | None) -> FieldChange:
    return FieldChange(field=field, old=old, new=new)


def test_pairs_new_values_ids_lists_and_secrets():
    owner, staff = uuid.uuid4(), uuid.uuid4()
    stored = {
        "status": ["OPEN", "IN_PROGRESS"],
        "reason": "Wrong voltage",
        "ownerId": str(owner),
        "technicianId": [None, str(owner)],
        "active": [True, False],
        "items": [1, 3],
        "dueAt": "2026-12-04T09:00:00+00:00",
        "preparationTools": [[], ["ladder", "crane"]],
        "preparationStaffIds": [[], [str(staff)]],
        "passwordHash": ["$argon2id$old", "$argon2id$new"],
        "tokenGeneration": [1, 2],
    }
    assert field_changes(stored) == [
        change("status", "OPEN", "IN_PROGRESS"),
        change("reason", None, "Wrong voltage"),
        change("ownerId", None, to_global_id("User", owner)),
        change("technicianId", None, to_global_id("User", owner)),
        change("active", "true", "false"),
        change("items", "1", "3"),
        change("dueAt", None, "2026-12-04T09:00:00+00:00"),
        change("preparationTools", "[]", '["ladder","crane"]'),
        change("preparationStaffIds", "[]", f'["{to_global_id("User", staff)}"]'),
    ]
    assert field_changes(None) == [] and field_changes({}) == []
