"""Every event type the log can hold. The GraphQL `EventType` enum is generated from this list, and
the unit of work refuses an unknown type, so a new kind of change cannot slip past subscribers."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    # The contract's types, in its order.
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "ORDER_CREATED",
    "ORDER_UPDATED",
    "ORDER_HANDED_OFF",
    "ORDER_CONFIRMED",
    "ORDER_RETURNED",
    "ORDER_CANCELLED",
    "ORDER_COMPLETED",
    "SERVICE_JOB_SCHEDULED",
    "SERVICE_JOB_STARTED",
    "SERVICE_JOB_COMPLETED",
    "SERVICE_JOB_CANCELLED",
    "FEEDBACK_RECORDED",
    "TICKET_OPENED",
    "TICKET_UPDATED",
    "TICKET_ESCALATED",
    "ESCALATION_UPDATED",
    "ESCALATION_CLOSED",
    "TICKET_RESOLVED",
    "TICKET_CLOSED",
    "SLA_AT_RISK",
    "SLA_BREACHED",
    # Added as the schema grew (the contract allows more).
    "SERVICE_JOB_UPDATED",
    "OPPORTUNITY_CREATED",
    "OPPORTUNITY_UPDATED",
    "SOLUTION_SUBMITTED",
    "SOLUTION_REVIEWED",
    "PROJECT_REGISTERED",
    "REGISTRATION_ACKNOWLEDGED",
    "OPPORTUNITY_WON",
    "OPPORTUNITY_LOST",
    "SALES_TARGET_SET",
    "ACTION_ITEM_CREATED",
    "ACTION_ITEM_STARTED",
    "ACTION_ITEM_COMPLETED",
    "ACTION_ITEM_REJECTED",
    "ACTION_ITEM_VERIFIED",
    "ACTION_ITEM_CANCELLED",
    "ACTION_ITEM_COMMENTED",  # action items have no ACTION_ITEM_UPDATED (services/comments.py event_of)
    "SURVEY_CREATED",
    "SURVEY_OPENED",
    "SURVEY_CLOSED",
    "MARKET_INTEL_POSTED",
    "MARKET_INTEL_UPDATED",
    "MEETING_RECORDED",
    # A personal notification (entity Notification): only its person's `myNotifications` carries it.
    "NOTIFICATION_CREATED",
    # Account changes (entity User or ApiKey). Open WebSockets react to them: see CREDENTIAL_TYPES.
    "USER_UPDATED",
    "USER_DEACTIVATED",
    "USER_REACTIVATED",
    "API_KEY_REVOKED",
)

# What each stream of the Subscription type carries.
HANDOFF_TYPES = frozenset({"ORDER_HANDED_OFF", "ORDER_CONFIRMED", "ORDER_RETURNED", "ORDER_CANCELLED"})
ESCALATION_TYPES = frozenset({"TICKET_ESCALATED", "ESCALATION_UPDATED", "ESCALATION_CLOSED"})
TICKET_TYPES = frozenset({"TICKET_OPENED", "TICKET_UPDATED", "TICKET_RESOLVED", "TICKET_CLOSED"}) | ESCALATION_TYPES
SLA_TYPES = frozenset({"SLA_AT_RISK", "SLA_BREACHED"})
# Events for one person only (payload `userId`): no shared stream carries them, `events` included.
PERSONAL_TYPES = frozenset({"NOTIFICATION_CREATED"})
# Changes that close or re-scope the open WebSockets of a credential, on every server process
# (services/realtime/connections.py). Re-activation is not one: a deactivated user's sockets are gone.
CREDENTIAL_TYPES = frozenset({"USER_UPDATED", "USER_DEACTIVATED", "API_KEY_REVOKED"})
