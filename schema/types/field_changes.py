"""What one recorded change did to each field (`Activity.changes`), as the API shows values.

The audit rows store `changes` as the services wrote them (services/unit_of_work.py `record`): a field
maps to `[old, new]`, or to the value it was given when there was none before (a create, a reason).
Values come out as the API spells them: ids as global ids of their type, times in ISO 8601, numbers
and enum names as text, lists and counts as JSON. Secret fields are never recorded by the services;
names that look like one are dropped here all the same.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
import strawberry

from schema.ids import to_global_id

# The type of the id a `…Id` field names (the field names the services use in `changes`).
_ID_TYPES = {
    "ownerId": "User",
    "technicianId": "User",
    "assigneeId": "User",
    "serviceLeadId": "User",
    "userId": "User",
    "customerId": "Customer",
    "orderId": "Order",
    "ticketId": "Ticket",
    "feedbackId": "Feedback",
    "surveyId": "Survey",
    "opportunityId": "Opportunity",
    "actionItemId": "ActionItem",
    "serviceJobId": "ServiceJob",
    "preparationStaffIds": "User",
    "attendeeIds": "User",
}
# Fields whose value is itself a list (recorded as [old list, new list]).
_LISTS = frozenset({"preparationStaffIds", "preparationTools", "preparationMaterials", "attendeeIds", "decisions"})
_SECRET = re.compile(r"password|secret|token|hash|keyMaterial", re.IGNORECASE)


@strawberry.type(description="One field of one recorded change: its value before and after, as the API shows it.")
class FieldChange:
    field: str
    old: str | None
    new: str | None


def field_changes(changes: dict[str, Any] | None) -> list[FieldChange]:
    result = []
    for name, value in (changes or {}).items():
        if _SECRET.search(name):
            continue
        old, new = _pair(name, value)
        result.append(FieldChange(field=name, old=_shown(name, old), new=_shown(name, new)))
    return result


def _pair(name: str, value: Any) -> tuple[Any, Any]:
    """(old, new): `[old, new]` as recorded, else (None, the value); a list field's pair holds two lists."""
    pair = isinstance(value, list) and len(value) == 2
    if pair and (name not in _LISTS or all(x is None or isinstance(x, list) for x in value)):
        return value[0], value[1]
    return None, value


def _shown(name: str, value: Any) -> str | None:
    if value is None:
        return None
    type_name = _ID_TYPES.get(name)
    if isinstance(value, list):
        return orjson.dumps([_id(type_name, v) if type_name else v for v in value]).decode()
    if type_name is not None and isinstance(value, str):
        return _id(type_name, value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def _id(type_name: str | None, raw: Any) -> Any:
    try:
        return to_global_id(type_name, uuid.UUID(str(raw))) if type_name else raw
    except ValueError:
        return raw
