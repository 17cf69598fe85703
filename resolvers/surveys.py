"""Satisfaction survey queries and mutations (answers are recorded with recordFeedback(surveyId:))."""

from __future__ import annotations

import uuid

from db.repositories import surveys as repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id
from schema.types.common import Connection
from schema.types.surveys import Survey, SurveyStatus
from schema.types.surveys_inputs import CreateSurveyInput, SurveyActionInput, SurveyPayload
from services import surveys as service
from services.clock import utc
from services.surveys import NewSurvey


async def surveys(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: list[SurveyStatus] | None = None,
) -> Connection[Survey]:
    """Satisfaction surveys, newest first."""
    statuses = [s.value for s in status or []]
    return await page(info, repo.page, Survey.from_row, first, after, last, before, statuses=statuses)


_survey = Answer(SurveyPayload, survey=Survey.from_row)


async def create_survey(info: Info, input: CreateSurveyInput) -> SurveyPayload:
    def request() -> NewSurvey:
        return NewSurvey(
            title=input.title,
            opens_at=utc(input.opens_at),
            closes_at=utc(input.closes_at),
            customer_ids=[decode_id(raw, "Customer", "customerIds") for raw in input.customer_ids],
        )

    action = create_once("createSurvey", input.idempotency_key, request, service.create_survey, repo.get)
    return await _survey(info, action)


def _id(input: SurveyActionInput) -> uuid.UUID:
    return decode_id(input.survey_id, "Survey", "surveyId")


async def open_survey(info: Info, input: SurveyActionInput) -> SurveyPayload:
    return await _survey(info, lambda uow: service.open_survey(uow, _id(input), input.expected_version))


async def close_survey(info: Info, input: SurveyActionInput) -> SurveyPayload:
    return await _survey(info, lambda uow: service.close_survey(uow, _id(input), input.expected_version))
