"""Satisfaction surveys' write side: the inputs and payload of createSurvey, openSurvey and closeSurvey."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.common import UserError
from schema.types.surveys import Survey


@strawberry.input
class CreateSurveyInput:
    title: str
    opens_at: datetime
    closes_at: datetime
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="The target customers: at least one, each once (the response rate's denominator)."
    )
    idempotency_key: str | None = None


@strawberry.input
class SurveyActionInput:
    survey_id: strawberry.ID
    expected_version: int | None = None


@strawberry.type
class SurveyPayload:
    survey: Survey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
