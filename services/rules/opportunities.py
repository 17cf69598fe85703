"""Pre-sale: opportunity stages, solution review decisions, and who has sales targets."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class OpportunityStage(StrEnum):
    REQUIREMENTS = "REQUIREMENTS"
    SOLUTION = "SOLUTION"
    REVIEW = "REVIEW"
    REGISTERED = "REGISTERED"
    WON = "WON"
    LOST = "LOST"


class ReviewDecision(StrEnum):
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"


OPPORTUNITY_STAGES = values(OpportunityStage)
OPPORTUNITY_CLOSED_STAGES = ("WON", "LOST")
OPPORTUNITY_OPEN_STAGES = tuple(s for s in OPPORTUNITY_STAGES if s not in OPPORTUNITY_CLOSED_STAGES)
OPPORTUNITY_ACTIONS = (
    "record_requirements",
    "confirm_requirements",
    "submit_solution",
    "approve_solution",
    "request_changes",
    "register",
    "acknowledge_registration",
    "win",
    "lose",
)
REVIEW_DECISIONS = values(ReviewDecision)
TARGET_DEPARTMENTS = ("MARKETING",)  # the only department with sales targets
