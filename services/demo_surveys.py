"""Demo satisfaction surveys in every status, made through the real services.

The service lead runs them and marketing takes down the answers, as DOMAIN.md has it: an installation
survey closed weeks ago with a low mean (so it opened its follow-up action for the service lead), a
maintenance survey closed with a good one (no action), this quarter's survey open with some answers in,
and next quarter's still a draft.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from db.models import Customer, User
from services import feedback as feedback_service
from services import surveys as service
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_world import DemoWorld
from services.feedback import NewFeedback
from services.surveys import NewSurvey

_COMMENTS = {
    5: "Installed on time, the team explained everything",
    4: "Good work, the paperwork took a while",
    3: "Fine in the end, but we chased the date twice",
    2: "Two visits needed for one installation",
}

_SURVEYS = (
    # (title, status it ends in, days before now it was made, days it runs, its customers, the answers' scores)
    ("Installation satisfaction, Q3", "CLOSED", 45, 14, slice(0, 6), (3, 2, 4, 3, 3)),  # mean 3.0: an action
    ("Maintenance visits, Q3", "CLOSED", 38, 14, slice(2, 7), (5, 4, 5)),
    ("Installation satisfaction, Q4", "OPEN", 6, 21, slice(0, 8), (5, 4, 3)),
    ("Installation satisfaction, Q1", "DRAFT", 1, 21, slice(3, 7), ()),
)


async def seed_surveys(world: DemoWorld) -> None:
    runner = world.users["service.lead@tandem.example"]
    recorder = world.users["marketing@tandem.example"]
    now = world.clock.now()
    for title, status, ago, days, which, scores in _SURVEYS:
        targets = world.customers[which]
        if not targets:
            continue
        created = now - timedelta(days=ago)
        clock = ManualClock(created)
        async with demo_unit_of_work(world.sessions, principal_of_user(runner), clock, world.event_horizon) as uow:
            survey = await service.create_survey(
                uow,
                NewSurvey(
                    title=title,
                    opens_at=created + timedelta(days=1),
                    closes_at=created + timedelta(days=1 + days),
                    customer_ids=[c.id for c in targets],
                ),
            )
        if status == "DRAFT":
            continue
        clock.advance(days=1)
        async with demo_unit_of_work(world.sessions, principal_of_user(runner), clock, world.event_horizon) as uow:
            await service.open_survey(uow, survey.id, None)
        await _answers(world, recorder, survey.id, targets, scores, clock)
        if status == "CLOSED":
            clock.set(created + timedelta(days=1 + days))
            async with demo_unit_of_work(world.sessions, principal_of_user(runner), clock, world.event_horizon) as uow:
                await service.close_survey(uow, survey.id, None)


async def _answers(
    world: DemoWorld,
    recorder: User,
    survey_id: uuid.UUID,
    targets: list[Customer],
    scores: tuple[int, ...],
    clock: ManualClock,
) -> None:
    """One answer a day from the first targets (the rest never answer: the response rate shows it)."""
    for customer, score in zip(targets, scores, strict=False):
        clock.advance(hours=20)
        async with demo_unit_of_work(world.sessions, principal_of_user(recorder), clock, world.event_horizon) as uow:
            await feedback_service.record_feedback(
                uow,
                NewFeedback(
                    customer_id=customer.id,
                    source="SURVEY",
                    score=score,
                    comment=_COMMENTS.get(score),
                    survey_id=survey_id,
                ),
            )
