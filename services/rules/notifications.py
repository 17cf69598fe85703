"""What a personal notification can be about (DOMAIN.md part 2, "Notifications")."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    ASSIGNED = "ASSIGNED"  # a ticket or a service job was assigned to the person
    CONSULTATION_INVITE = "CONSULTATION_INVITE"  # invited to a joint consultation
    PROBLEM_REPORTED = "PROBLEM_REPORTED"  # a problem reported on an order the person owns (or is told of)
    HANDOFF_RETURNED = "HANDOFF_RETURNED"  # service returned the person's order handoff
    ACTION_ITEM_ASSIGNED = "ACTION_ITEM_ASSIGNED"
    ACTION_ITEM_DUE = "ACTION_ITEM_DUE"  # the person's action item is due within 24 h, or overdue
    ACTION_ITEM_REJECTED = "ACTION_ITEM_REJECTED"  # its effect was not verified: back in progress
    SLA_ALERT = "SLA_ALERT"  # an SLA clock of an item the person owns or is assigned is at risk or breached


NOTIFICATION_KINDS: tuple[str, ...] = tuple(k.value for k in NotificationKind)
