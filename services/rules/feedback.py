"""Feedback (after-sale 3): where a score came from, and the score scale."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class FeedbackSource(StrEnum):
    RETURN_VISIT = "RETURN_VISIT"
    SURVEY = "SURVEY"
    TICKET = "TICKET"
    SERVICE_JOB = "SERVICE_JOB"
    OTHER = "OTHER"


FEEDBACK_SOURCES = values(FeedbackSource)
MIN_SCORE = 1
MAX_SCORE = 5
SATISFIED_SCORES = (4, 5)  # "share of 4–5 scores" (DOMAIN.md KPI: customer satisfaction)
