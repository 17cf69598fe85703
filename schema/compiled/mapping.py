"""GraphQL type -> table, field -> column, expression or relation: what the planner can compile.

A field missing here is not compiled (the whole operation goes to the reference executor). Names are
the served schema's (schema.graphql); columns are db/models'. Orderings of lists are the repositories'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from db import models
from services.access import Action


@dataclass(frozen=True)
class Scalar:
    """A column: `text` (String, Int, Boolean as stored), `enum` (stored value = enum name, checked
    against the schema at start-up), `datetime` (timestamptz), `id` (the row's global id), `decimal`
    (numeric: strawberry writes `str(Decimal)`, which is numeric's text for money's scale), `date`
    (a date as `date.isoformat()`: the Date scalar, and `Order.deliveryDate`'s string)."""

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
class ToMany:
    """The rows of `target` whose `column` equals this row's `key`, as a list ordered by `order` (the
    repository's order of the loader's group; every `order` ends in a unique column)."""

    target: str
    column: str
    order: tuple[str, ...]
    key: str = "id"


@dataclass(frozen=True)
class Special:
    """A field with a rule of its own, built by the planner (`name` says which)."""

    name: str


def _s(column: str, kind: str = "text", gate: Action | None = None) -> Scalar:
    return Scalar(kind, column, gate)


_DT, _ENUM, _MONEY, _DATE = "datetime", "enum", "decimal", "date"
_CONTACT_DETAILS = Action.READ_CONTACT_DETAILS

# The db model whose table holds a GraphQL type: the model of the same name, but for these two.
_OTHER_MODEL = {"SolutionReview": "Solution", "Comment": "TicketComment"}  # a solution's review, a ticket comment

# Node types `node(id:)` compiles (ApiKey is admins' only, Activity hides internal entries: reference).
NODE_TYPES = (
    "Ticket",
    "Customer",
    "Contact",
    "User",
    "Order",
    "ServiceJob",
    "Feedback",
    "Opportunity",
    "SalesTarget",
    "ActionItem",
    "MarketIntel",
    "Meeting",
    "Survey",
)

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
        "serviceJob": ToOne("ServiceJob", "service_job_id"),
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
        "deliveryDate": _s("delivery_date", _DATE),
        "contractValue": _s("contract_value", _MONEY),
        "customer": ToOne("Customer", "customer_id"),
        "owner": ToOne("User", "owner_id"),
        "opportunity": ToOne("Opportunity", "opportunity_id"),
        "handedOffBy": ToOne("User", "handed_off_by_id"),
        "confirmedBy": ToOne("User", "confirmed_by_id"),
        "items": ToMany("OrderItem", "order_id", ("position",)),  # orders.items_of
        "serviceJobs": ToMany("ServiceJob", "order_id", ("scheduled_start", "number")),  # service_jobs.of_orders
        # tickets, timeline: connections of their own (reference).
    },
    "OrderItem": {
        "productModel": _s("product_model"),
        "description": _s("description"),
        "quantity": _s("quantity"),
        "unitPrice": _s("unit_price", _MONEY),
    },
    "ServiceJob": {
        "id": _s("id", "id"),
        "number": _s("number"),
        "kind": _s("kind", _ENUM),
        "status": _s("status", _ENUM),
        "scheduledStart": _s("scheduled_start", _DT),
        "scheduledEnd": _s("scheduled_end", _DT),
        "startedAt": _s("started_at", _DT),
        "completedAt": _s("completed_at", _DT),
        "cancelledAt": _s("cancelled_at", _DT),
        "qualityResult": _s("quality_result", _ENUM),
        "notes": _s("notes"),
        "version": _s("version"),
        "order": ToOne("Order", "order_id"),
        "customer": ToOne("Customer", "customer_id"),
        "technician": ToOne("User", "technician_id"),
    },
    "Feedback": {
        "id": _s("id", "id"),
        "source": _s("source", _ENUM),
        "score": _s("score"),
        "comment": _s("comment"),
        "recordedAt": _s("recorded_at", _DT),
        "customer": ToOne("Customer", "customer_id"),
        "order": ToOne("Order", "order_id"),
        "ticket": ToOne("Ticket", "ticket_id"),
        "recordedBy": ToOne("User", "recorded_by_id"),
        "survey": ToOne("Survey", "survey_id"),
    },
    "Opportunity": {
        "id": _s("id", "id"),
        "title": _s("title"),
        "stage": _s("stage", _ENUM),
        "requirementsConfirmedAt": _s("requirements_confirmed_at", _DT),
        "requirementsConfirmedBy": _s("requirements_confirmed_by"),
        "solutionReviewDueAt": _s("solution_review_due_at", _DT),
        "registeredAt": _s("registered_at", _DT),
        "registrationAckDueAt": _s("registration_ack_due_at", _DT),
        "registrationAcknowledgedAt": _s("registration_acknowledged_at", _DT),
        "preparationNotes": _s("preparation_notes"),
        "lostReason": _s("lost_reason"),
        "closedAt": _s("closed_at", _DT),
        "createdAt": _s("created_at", _DT),
        "updatedAt": _s("updated_at", _DT),
        "version": _s("version"),
        "customer": ToOne("Customer", "customer_id"),
        "owner": ToOne("User", "owner_id"),
        "serviceLead": ToOne("User", "service_lead_id"),
        "registrationAcknowledgedBy": ToOne("User", "registration_acknowledged_by_id"),
        "order": ToOne("Order", "order_id"),
        "requirements": ToMany("Requirement", "opportunity_id", ("position",)),  # opportunities.requirements_of
        "solutions": ToMany("Solution", "opportunity_id", ("revision",)),  # opportunities.solutions_of
        "currentSolution": Special("current_solution"),
    },
    "Requirement": {
        "id": _s("id", "id"),
        "description": _s("description"),
        "priority": _s("priority"),
    },
    "Solution": {
        "id": _s("id", "id"),
        "version": _s("revision"),  # the revision number; the row's own version is not in the API
        "summary": _s("summary"),
        "details": _s("details"),
        "submittedAt": _s("submitted_at", _DT),
        "reviewDueAt": _s("review_due_at", _DT),
        "review": Special("review"),
        "submittedBy": ToOne("User", "submitted_by_id"),
    },
    "SolutionReview": {
        "decision": _s("decision", _ENUM),
        "technicalFeasibility": _s("technical_feasibility"),
        "serviceability": _s("serviceability"),
        "comments": _s("comments"),
        "reviewedAt": _s("reviewed_at", _DT),
        "reviewer": ToOne("User", "reviewer_id"),
    },
    "SalesTarget": {
        "id": _s("id", "id"),
        "department": _s("department", _ENUM),
        "periodStart": _s("period_start", _DATE),
        "periodEnd": _s("period_end", _DATE),
        "amount": _s("amount", _MONEY),
        "createdAt": _s("created_at", _DT),
        "updatedAt": _s("updated_at", _DT),
        "version": _s("version"),
        "user": ToOne("User", "user_id"),
    },
    "Comment": {
        "id": _s("id", "id"),
        "body": _s("body"),
        "visibility": _s("visibility", _ENUM),
        "createdAt": _s("created_at", _DT),
        "author": ToOne("User", "author_id"),
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
        "ticket": ToOne("Ticket", "ticket_id"),
        "participants": Special("participants"),
        "notes": Special("notes"),
    },
    "ActionItem": {
        "id": _s("id", "id"),
        "number": _s("number"),
        "title": _s("title"),
        "description": _s("description"),
        "source": _s("source", _ENUM),
        "status": _s("status", _ENUM),
        "owner": ToOne("User", "owner_id"),
        "dueAt": _s("due_at", _DT),
        "customer": ToOne("Customer", "customer_id"),
        "feedback": ToOne("Feedback", "feedback_id"),
        "ticket": ToOne("Ticket", "ticket_id"),
        "outcome": _s("outcome"),
        "verifiedBy": ToOne("User", "verified_by_id"),
        "verifiedAt": _s("verified_at", _DT),
        "verificationNote": _s("verification_note"),
        "createdBy": ToOne("User", "created_by_id"),
        "createdAt": _s("created_at", _DT),
        "version": _s("version"),
        "overdue": Special("overdue"),  # relative to the request's clock (`now` bound per request)
        "meeting": ToOne("Meeting", "meeting_id"),
        "survey": ToOne("Survey", "survey_id"),
        # timeline: Activity is not compiled (internal entries hidden by caller): reference.
    },
    "MarketIntel": {
        "id": _s("id", "id"),
        "kind": _s("kind", _ENUM),
        "title": _s("title"),
        "body": _s("body"),
        "tags": _s("tags"),  # text[]: to_json writes the JSON array of strings, as typed and in order
        "customer": ToOne("Customer", "customer_id"),
        "author": ToOne("User", "author_id"),
        "createdAt": _s("created_at", _DT),
        "updatedAt": _s("updated_at", _DT),
        "version": _s("version"),
        # comments: a connection of its own (internal comments hidden by caller): reference.
    },
    "Meeting": {
        "id": _s("id", "id"),
        "kind": _s("kind", _ENUM),
        "title": _s("title"),
        "heldAt": _s("held_at", _DT),
        "minutes": _s("minutes"),
        "decisions": _s("decisions"),  # text[], as `tags`
        "version": _s("version"),
        "recordedBy": ToOne("User", "recorded_by_id"),
        "attendees": Special("attendees"),  # through meeting_attendees, by name (meetings.attendees_of)
        "actionItems": ToMany("ActionItem", "meeting_id", ("number",)),  # meetings.action_items_of
    },
    "Survey": {
        "id": _s("id", "id"),
        "title": _s("title"),
        "status": _s("status", _ENUM),
        "opensAt": _s("opens_at", _DT),
        "closesAt": _s("closes_at", _DT),
        "version": _s("version"),
        "createdBy": ToOne("User", "created_by_id"),
        "actionItems": ToMany("ActionItem", "survey_id", ("created_at", "id")),  # surveys.action_items_of
        # The counts of surveys.stats_of, per survey (specials.py); the two floats as orjson writes them.
        "targetCount": Special("target_count"),
        "responseCount": Special("response_count"),
        "responseRate": Special("response_rate"),
        "averageScore": Special("average_score"),
        "scoreDistribution": Special("score_distribution"),
        # targets, responses: connections of their own (reference).
    },
    "Notification": {  # read through `notifications` only (node(id:): the caller's own, reference)
        "id": _s("id", "id"),
        "kind": _s("kind", _ENUM),
        "title": _s("title"),
        "createdAt": _s("created_at", _DT),
        "readAt": _s("read_at", _DT),
        # subject: a Node of any type named by the row (a type the planner may not map): reference.
    },
    "Activity": {  # read through auditLog only (node(id:) and timelines: reference, see NODE_TYPES)
        "id": _s("seq", "id"),  # the sequence number, as Activity.from_row's `str(row.seq)`
        "at": _s("at", _DT),
        "action": _s("action"),
        "entityType": _s("entity_type"),
        "summary": _s("summary"),
        "entityId": Special("entity_id"),
        "actor": ToOne("User", "actor_id"),
        # changes: formatted in Python (schema/types/field_changes.py): reference.
    },
    "RootCauseCategory": {
        "code": _s("code"),
        "label": _s("label"),
        "active": _s("active"),
        "version": _s("version"),
    },
}

TABLES: dict[str, Table] = {name: getattr(models, _OTHER_MODEL.get(name, name)).__table__ for name in FIELDS}

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
            if gql_type is None or field_name not in gql_type.fields:
                continue  # not served (a validated query never selects it)
            enum = gql_type.fields[field_name].type
            while hasattr(enum, "of_type"):
                enum = enum.of_type
            for name, value in enum.values.items():
                stored = getattr(value.value, "value", value.value)
                if stored != name:
                    bad.add((type_name, field_name))
    return bad
