"""GraphQL type -> table, field -> column, expression or relation: what the planner can compile.

A field missing here is not compiled (the whole operation goes to the reference executor). Names are
the served schema's (schema.graphql); columns are db/models'. Orderings of lists are the repositories'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from db.models import Contact, Customer, Escalation, Order, RootCauseCategory, Ticket, User
from services.access import Action


@dataclass(frozen=True)
class Scalar:
    """A column: `text` (String, Int, Boolean as stored), `enum` (stored value = enum name, checked
    against the schema at start-up), `datetime` (timestamptz), `id` (the row's global id)."""

    kind: str
    column: str
    gate: Action | None = None  # the action a caller needs to read it; without it: reference path


@dataclass(frozen=True)
class ToOne:
    """A row of `target` whose `key` equals this row's `column` (null when the column is null)."""

    target: str
    column: str
    key: str = "id"


@dataclass(frozen=True)
class Special:
    """A field with a rule of its own, built by the planner (`name` says which)."""

    name: str


def _s(column: str, kind: str = "text", gate: Action | None = None) -> Scalar:
    return Scalar(kind, column, gate)


_DT, _ENUM = "datetime", "enum"
_CONTACT_DETAILS = Action.READ_CONTACT_DETAILS

TABLES: dict[str, Table] = {
    "Ticket": Ticket.__table__,  # type: ignore[dict-item]
    "Customer": Customer.__table__,  # type: ignore[dict-item]
    "User": User.__table__,  # type: ignore[dict-item]
    "Contact": Contact.__table__,  # type: ignore[dict-item]
    "Order": Order.__table__,  # type: ignore[dict-item]
    "Escalation": Escalation.__table__,  # type: ignore[dict-item]
    "RootCauseCategory": RootCauseCategory.__table__,  # type: ignore[dict-item]
}

FIELDS: dict[str, dict[str, Any]] = {
    "Ticket": {
        "id": _s("id", "id"),
        "number": _s("number"),
        "kind": _s("kind", _ENUM),
        "priority": _s("priority", _ENUM),
        "status": _s("status", _ENUM),
        "subject": _s("subject"),
        "description": _s("description"),
        "createdAt": _s("created_at", _DT),
        "updatedAt": _s("updated_at", _DT),
        "firstRespondedAt": _s("first_responded_at", _DT),
        "resolvedAt": _s("resolved_at", _DT),
        "closedAt": _s("closed_at", _DT),
        "resolutionSummary": _s("resolution_summary"),
        "version": _s("version"),
        "customer": ToOne("Customer", "customer_id"),
        "order": ToOne("Order", "order_id"),
        "assignee": ToOne("User", "assignee_id"),
        "createdBy": ToOne("User", "created_by_id"),
        "rootCause": ToOne("RootCauseCategory", "root_cause_code", key="code"),
        "sla": Special("sla"),
        "escalation": Special("current_escalation"),
    },
    "Customer": {
        "id": _s("id", "id"),
        "code": _s("code"),
        "name": _s("name"),
        "industry": _s("industry"),
        "region": _s("region"),
        "lifecycleStage": _s("lifecycle_stage", _ENUM),
        "createdAt": _s("created_at", _DT),
        "updatedAt": _s("updated_at", _DT),
        "version": _s("version"),
        "owner": ToOne("User", "owner_id"),
        "contacts": Special("contacts"),
    },
    "User": {
        "id": _s("id", "id"),
        "name": _s("name"),
        "department": _s("department", _ENUM),
        "role": _s("role", _ENUM),
        "active": _s("active"),
        "version": _s("version"),
        "email": _s("email", gate=_CONTACT_DETAILS),
    },
    "Contact": {
        "id": _s("id", "id"),
        "name": _s("name"),
        "title": _s("title"),
        "isPrimary": _s("is_primary"),
        "phone": _s("phone", gate=_CONTACT_DETAILS),
        "email": _s("email", gate=_CONTACT_DETAILS),
    },
    "Order": {
        "id": _s("id", "id"),
        "number": _s("number"),
        "status": _s("status", _ENUM),
        "specialRequirements": _s("special_requirements"),
        "returnReason": _s("return_reason"),
        "handedOffAt": _s("handed_off_at", _DT),
        "confirmationDueAt": _s("confirmation_due_at", _DT),
        "confirmedAt": _s("confirmed_at", _DT),
        "returnedAt": _s("returned_at", _DT),
        "cancelledAt": _s("cancelled_at", _DT),
        "completedAt": _s("completed_at", _DT),
        "createdAt": _s("created_at", _DT),
        "version": _s("version"),
    },
    "Escalation": {
        "id": _s("id", "id"),
        "reason": _s("reason"),
        "requestedAt": _s("requested_at", _DT),
        "status": _s("status", _ENUM),
        "plan": _s("plan"),
        "closedAt": _s("closed_at", _DT),
        "version": _s("version"),
        "requestedBy": ToOne("User", "requested_by_id"),
        "closedBy": ToOne("User", "closed_by_id"),
        "participants": Special("participants"),
    },
    "RootCauseCategory": {
        "code": _s("code"),
        "label": _s("label"),
        "active": _s("active"),
        "version": _s("version"),
    },
}

# TicketSla: computed from its ticket's row (services/sla.py rules, `now` from the request's clock).
SLA_FIELDS = {
    "firstResponseDueAt": "first_response_due_at",
    "resolutionDueAt": "resolution_due_at",
    "firstResponseState": "first_response",
    "resolutionState": "resolution",
    "state": "ticket",
}


def unmapped_enums(schema: Any) -> set[tuple[str, str]]:
    """(type, field) of enum fields whose GraphQL names differ from the stored values: the SQL writes
    the stored value, so such fields must not compile (none today; checked, not assumed)."""
    bad = set()
    for type_name, fields in FIELDS.items():
        gql_type = schema.get_type(type_name)
        for field_name, spec in fields.items():
            if not (isinstance(spec, Scalar) and spec.kind == _ENUM):
                continue
            enum = gql_type.fields[field_name].type
            while hasattr(enum, "of_type"):
                enum = enum.of_type
            for name, value in enum.values.items():
                stored = getattr(value.value, "value", value.value)
                if stored != name:
                    bad.add((type_name, field_name))
    return bad
