"""Tickets (after-sale 1) and their joint consultations: kinds, priorities, statuses, visibilities."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class TicketKind(StrEnum):
    INQUIRY = "INQUIRY"
    COMPLAINT = "COMPLAINT"
    QUALITY_ISSUE = "QUALITY_ISSUE"
    SUGGESTION = "SUGGESTION"
    SERVICE_REQUEST = "SERVICE_REQUEST"


class TicketPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TicketStatus(StrEnum):
    NEW = "NEW"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


class CommentVisibility(StrEnum):
    INTERNAL = "INTERNAL"
    CUSTOMER = "CUSTOMER"


class EscalationStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


TICKET_KINDS = values(TicketKind)
TICKET_PRIORITIES = values(TicketPriority)
TICKET_STATUSES = values(TicketStatus)
# Statuses whose work is finished (the ticket carries its resolution); every other status is open.
TICKET_DONE_STATUSES = ("RESOLVED", "CLOSED")
TICKET_OPEN_STATUSES = tuple(s for s in TICKET_STATUSES if s not in TICKET_DONE_STATUSES)
COMMENT_VISIBILITIES = values(CommentVisibility)
ESCALATION_STATUSES = values(EscalationStatus)
