"""Satisfaction surveys (滿意度調查, after-sale 3): a survey's statuses and the mean below which closing it
opens an improvement action."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class SurveyStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


SURVEY_STATUSES = values(SurveyStatus)
# DOMAIN.md part 2: closing a survey whose mean is below this opens an action item for the service lead.
LOW_SURVEY_MEAN = 3.5
