"""Improvement (rectification) actions (整改, after-sale 3): where one came from, its statuses, and who
may do what to it besides the permission matrix."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class ActionItemSource(StrEnum):
    FEEDBACK = "FEEDBACK"
    SURVEY = "SURVEY"
    TICKET = "TICKET"
    ROOT_CAUSE_REVIEW = "ROOT_CAUSE_REVIEW"
    SUPERVISION = "SUPERVISION"
    MEETING = "MEETING"
    OTHER = "OTHER"


class ActionItemStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    VERIFIED = "VERIFIED"
    CANCELLED = "CANCELLED"


ACTION_ITEM_SOURCES = values(ActionItemSource)
ACTION_ITEM_STATUSES = values(ActionItemStatus)
# Overdue = past its due time and not finished (DOMAIN.md: not DONE, VERIFIED or CANCELLED).
UNFINISHED_STATUSES = (ActionItemStatus.OPEN.value, ActionItemStatus.IN_PROGRESS.value)
# Feedback scored this or lower opens an action item by itself (source FEEDBACK).
LOW_FEEDBACK_SCORE = 2
