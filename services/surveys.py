"""After-sale 3 — satisfaction surveys (滿意度調查): service asks a fixed set of target customers; each
answer is a feedback record (source SURVEY, with the survey's id) that anyone who records feedback may
take down, marketing included.

The life of a survey is ONE table (`TRANSITIONS`): DRAFT -> OPEN -> CLOSED, and answers are taken only
while OPEN (the `answer` step, which keeps the state). Who may create, open and close one is the
permission matrix (services/access.py: RUN_SURVEYS — service, supervisors, admins). The survey's
period (opensAt, closesAt) is what it announces; its status alone decides whether it takes answers, so
that service opens and closes it when the answers are in, not at a clock's tick.

Closing a survey whose mean is below LOW_SURVEY_MEAN opens an action item (source SURVEY, linked to the
survey) for the service lead, in the closing transaction (services/action_items.py
`open_for_low_survey`). A survey closed without any answer has no mean, and opens none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.models import Survey
from db.repositories import surveys as repo
from db.repositories.surveys import SurveyStats
from services import action_items
from services.errors import DomainError, ErrorCode, check_version, invalid, not_found
from services.i18n import T
from services.rules.surveys import LOW_SURVEY_MEAN
from services.state_machine import StateMachine, enter
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

TRANSITIONS: dict[tuple[str, str], str] = {
    ("DRAFT", "open"): "OPEN",
    ("OPEN", "answer"): "OPEN",
    ("OPEN", "close"): "CLOSED",
}
SURVEYS = StateMachine("a survey", "surveyId", TRANSITIONS, names_allowed_states=True)


@dataclass
class NewSurvey:
    title: str
    opens_at: datetime
    closes_at: datetime
    customer_ids: list[uuid.UUID]


async def create_survey(uow: UnitOfWork, data: NewSurvey) -> Survey:
    v = Validator()
    title = v.text(data.title, "title", "title", required=True)
    v.require(data.closes_at > data.opens_at, "the closing time must be after the opening time", "closesAt")
    v.require(bool(data.customer_ids), "a survey needs at least one target customer", "customerIds")
    v.require(
        len(set(data.customer_ids)) == len(data.customer_ids), "a customer may be a target only once", "customerIds"
    )
    v.raise_if_any()
    missing = len(set(data.customer_ids) - await repo.existing_customers(uow.session, data.customer_ids))
    if missing:
        raise DomainError(
            ErrorCode.NOT_FOUND, T("{n} of the target customers do not exist", n=missing), ["customerIds"]
        )
    assert title is not None and uow.actor_id is not None
    survey = Survey(
        id=uuid.uuid4(),
        title=title,
        status="DRAFT",
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        created_by_id=uow.actor_id,
    )
    await repo.add(uow.session, survey, uow.now)
    await repo.add_targets(uow.session, survey.id, data.customer_ids)
    count = len(data.customer_ids)
    _record(
        uow,
        survey,
        "created",
        f"Survey created: {title} ({count} customers)",
        "SURVEY_CREATED",
        {"title": title, "opensAt": data.opens_at, "closesAt": data.closes_at, "targetCount": count},
        payload={"targetCount": count},
    )
    return survey


async def open_survey(uow: UnitOfWork, survey_id: uuid.UUID, expected_version: int | None) -> Survey:
    survey = await _locked(uow, survey_id, expected_version)
    changes = _move(uow, survey, SURVEYS.next(survey.status, "open"))
    survey.opened_at = uow.now
    _record(uow, survey, "opened", f"Survey opened: {survey.title}", "SURVEY_OPENED", changes)
    return survey


async def close_survey(uow: UnitOfWork, survey_id: uuid.UUID, expected_version: int | None) -> Survey:
    # The lock also waits for answers being recorded (they lock the survey too): the mean below is final.
    survey = await _locked(uow, survey_id, expected_version)
    changes = _move(uow, survey, SURVEYS.next(survey.status, "close"))
    survey.closed_at = uow.now
    stats = await stats_of(uow, survey.id)
    mean = stats.mean
    summary = f"Survey closed: {survey.title}, {stats.response_count}/{stats.target_count} answered"
    if mean is not None:
        summary += f", mean {mean:.2f}"
    _record(
        uow,
        survey,
        "closed",
        summary,
        "SURVEY_CLOSED",
        changes,
        payload={"responseCount": stats.response_count, "averageScore": mean},
    )
    if mean is not None and mean < LOW_SURVEY_MEAN:
        await action_items.open_for_low_survey(uow, survey, mean)
    return survey


async def check_answer(uow: UnitOfWork, survey_id: uuid.UUID, customer_id: uuid.UUID) -> Survey:
    """The survey an answer (a feedback record of `customer_id`) is for, if it may take it: an OPEN survey
    of which the customer is a target that has not answered yet.

    The survey is locked for the rest of the answer's transaction: two answers of one customer cannot
    both pass the check (the unique index on feedback would refuse the second, unclearly), and a
    survey being closed waits for the answer."""
    survey = await repo.get(uow.session, survey_id, for_update=True)
    if survey is None:
        raise not_found("survey", "surveyId")
    SURVEYS.next(survey.status, "answer")
    if not await repo.is_target(uow.session, survey.id, customer_id):
        raise invalid("the customer is not a target of this survey", "customerId")
    if await repo.has_answered(uow.session, survey.id, customer_id):
        raise DomainError(ErrorCode.DUPLICATE, "this customer has already answered this survey", ["customerId"])
    return survey


async def stats_of(uow: UnitOfWork, survey_id: uuid.UUID) -> SurveyStats:
    found = await repo.stats_of(uow.session, [survey_id])
    return found[0] if found else SurveyStats(survey_id, 0, (0,) * len(repo.SCORES))


# --- helpers ---


async def _locked(uow: UnitOfWork, survey_id: uuid.UUID, expected_version: int | None) -> Survey:
    survey = await repo.get(uow.session, survey_id, for_update=True)
    if survey is None:
        raise not_found("survey", "surveyId")
    check_version("survey", expected_version, survey.version)
    return survey


def _move(uow: UnitOfWork, survey: Survey, status: str) -> dict[str, Any]:
    return enter(survey, status, uow.now)


def _record(
    uow: UnitOfWork,
    survey: Survey,
    verb: str,
    summary: str,
    event: str,
    changes: dict[str, Any],
    payload: dict[str, Any] | None = None,
) -> None:
    subject = Subject("Survey", survey.id, None, None, {"status": survey.status})
    uow.record_about(subject, f"survey.{verb}", summary, event, changes=changes, payload=payload)
