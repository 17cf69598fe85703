"""After-sale 3 — the improvement loop (整改): an action with an owner and a due date, done by its owner,
its effect verified by a supervisor.

The life of an action item is ONE table (`TRANSITIONS`): OPEN -> IN_PROGRESS -> DONE -> VERIFIED, a
rejected verification DONE -> IN_PROGRESS (with the note), CANCELLED from OPEN or IN_PROGRESS.
Who may take a step, beyond the permission matrix (services/access.py: IMPROVEMENT_ACTIONS, and
VERIFY_IMPROVEMENT for `verify`): the owner starts and completes (an admin may act for them); the
creator, a supervisor or an admin cancels.

Feedback scored 2 or less opens an action by itself (`open_for_low_feedback`, in the feedback's own
transaction): for the customer's owner, else the marketing lead who has been one longest, else the
longest-standing supervisor, else admin; due `uow.policy.feedback_action_due` later (3 days unless
TANDEM_FEEDBACK_ACTION_DUE_HOURS says otherwise).

A survey closed with a mean below 3.5 opens one too (`open_for_low_survey`, in the closing transaction,
source SURVEY, linked to the survey): for the longest-standing service lead, else supervisor, else admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.models import ActionItem, Customer, Feedback, Survey, User
from db.repositories import accounts as accounts_repo
from db.repositories import action_items as repo
from db.repositories import meetings as meetings_repo
from db.repositories import surveys as surveys_repo
from services import notifications
from services.errors import DomainError, ErrorCode, check_version, invalid, not_found
from services.i18n import T
from services.linked_records import (
    active_user,
    check_feedback_of,
    check_ticket_of,
    customer_of_link,
    require_customer,
)
from services.rules.action_items import ACTION_ITEM_SOURCES, UNFINISHED_STATUSES
from services.rules.notifications import NotificationKind
from services.state_machine import StateMachine, enter, steps
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

TRANSITIONS: dict[tuple[str, str], str] = {
    ("OPEN", "start"): "IN_PROGRESS",
    ("IN_PROGRESS", "complete"): "DONE",
    ("DONE", "verify"): "VERIFIED",
    ("DONE", "reject"): "IN_PROGRESS",
    **steps("cancel", "OPEN", "IN_PROGRESS", to="CANCELLED"),
}
ACTIONS = StateMachine(
    "an action item",
    "actionItemId",
    TRANSITIONS,
    verbs={"reject": "verify"},
    names_allowed_states=True,
)
# What the service lead has to follow up a survey whose mean was low (services/surveys.py).
SURVEY_ACTION_DUE = timedelta(days=7)


@dataclass
class NewActionItem:
    title: str
    source: str
    owner_id: uuid.UUID
    due_at: datetime
    description: str | None = None
    customer_id: uuid.UUID | None = None
    feedback_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    meeting_id: uuid.UUID | None = None  # the meeting whose decision it carries out (source MEETING)
    survey_id: uuid.UUID | None = None  # the survey it follows up (source SURVEY, when opened by a close)


def overdue(item: ActionItem, now: datetime) -> bool:
    return item.status in UNFINISHED_STATUSES and item.due_at < now


async def create_action_item(uow: UnitOfWork, data: NewActionItem) -> ActionItem:
    v = Validator()
    title = v.text(data.title, "title", "title", required=True)
    description = v.text(data.description, "description", "description", max_len=4000)
    v.require(data.source in ACTION_ITEM_SOURCES, "unknown action item source", "source")
    v.require(data.due_at > uow.now, "the due time must be in the future", "dueAt")
    v.raise_if_any()
    customer_id = await _linked_customer(uow, data)
    await check_meeting(uow, data.meeting_id)
    await check_survey(uow, data.survey_id, customer_id)
    await active_user(uow, data.owner_id, "the owner", "ownerId")
    assert title is not None
    return await _add(uow, data, title, description, customer_id)


async def open_for_low_feedback(uow: UnitOfWork, feedback: Feedback, customer: Customer) -> ActionItem | None:
    """The automatic action of a score of 2 or less; None when nobody at all could own it."""
    owner: User | None = None
    if customer.owner_id is not None:
        candidate = await accounts_repo.user_by_id(uow.session, customer.owner_id)
        owner = candidate if candidate is not None and candidate.active else None
    owner = (
        owner
        or await accounts_repo.longest_standing_active(uow.session, ("LEAD",), "MARKETING")
        or await accounts_repo.longest_standing_active(uow.session, ("SUPERVISOR",))
        or await accounts_repo.longest_standing_active(uow.session, ("ADMIN",))
    )
    if owner is None:
        return None
    data = NewActionItem(
        title=f"Follow up {feedback.score}/5 feedback from {customer.name}",
        source="FEEDBACK",
        owner_id=owner.id,
        due_at=uow.now + uow.policy.feedback_action_due,
        description=feedback.comment,
        customer_id=feedback.customer_id,
        feedback_id=feedback.id,
        ticket_id=feedback.ticket_id,
    )
    return await _add(uow, data, data.title, data.description, feedback.customer_id)


async def open_for_low_survey(uow: UnitOfWork, survey: Survey, mean: float) -> ActionItem | None:
    """The action a survey closed with a low mean opens (source SURVEY, linked to the survey): for the
    service lead who has been one longest, else the longest-standing supervisor, else admin; None when
    nobody at all could own it."""
    owner = (
        await accounts_repo.longest_standing_active(uow.session, ("LEAD",), "SERVICE")
        or await accounts_repo.longest_standing_active(uow.session, ("SUPERVISOR",))
        or await accounts_repo.longest_standing_active(uow.session, ("ADMIN",))
    )
    if owner is None:
        return None
    data = NewActionItem(
        # The survey's title may take the whole 200 characters the action's title has.
        title=f"Follow up survey (mean {mean:.2f}/5): {survey.title}"[:200],
        source="SURVEY",
        owner_id=owner.id,
        due_at=uow.now + SURVEY_ACTION_DUE,
        description=f'The survey "{survey.title}" closed with a mean score of {mean:.2f}.',
        survey_id=survey.id,
    )
    return await _add(uow, data, data.title, data.description, None)


async def start_action_item(uow: UnitOfWork, item_id: uuid.UUID, expected_version: int | None) -> ActionItem:
    item = await _locked(uow, item_id, expected_version)
    status = ACTIONS.next(item.status, "start")
    _owner_only(uow, item, T("only the owner may start this action item"))
    changes = _move(uow, item, status)
    item.started_at = item.started_at or uow.now
    _record(uow, item, "started", f"Action item {item.number} started", "ACTION_ITEM_STARTED", changes)
    return item


async def complete_action_item(
    uow: UnitOfWork, item_id: uuid.UUID, expected_version: int | None, outcome: str
) -> ActionItem:
    item = await _locked(uow, item_id, expected_version)
    status = ACTIONS.next(item.status, "complete")
    _owner_only(uow, item, T("only the owner may complete this action item"))
    v = Validator()
    clean = v.text(outcome, "the outcome", "outcome", required=True, max_len=4000)
    v.raise_if_any()
    changes = _move(uow, item, status)
    changes["outcome"] = [item.outcome, clean]
    item.outcome, item.completed_at = clean, uow.now
    _record(uow, item, "completed", f"Action item {item.number} done: {clean}", "ACTION_ITEM_COMPLETED", changes)
    return item


async def verify_action_item(
    uow: UnitOfWork, item_id: uuid.UUID, expected_version: int | None, effective: bool, note: str
) -> ActionItem:
    item = await _locked(uow, item_id, expected_version)
    status = ACTIONS.next(item.status, "verify" if effective else "reject")
    v = Validator()
    clean = v.text(note, "the verification note", "note", required=True, max_len=4000)
    v.raise_if_any()
    changes = _move(uow, item, status)
    changes["verificationNote"] = [item.verification_note, clean]
    item.verification_note = clean
    if effective:
        item.verified_by_id, item.verified_at = uow.actor_id, uow.now
        _record(uow, item, "verified", f"Action item {item.number} verified effective", "ACTION_ITEM_VERIFIED", changes)
    else:
        _record(
            uow,
            item,
            "rejected",
            f"Action item {item.number} sent back: {clean}",
            "ACTION_ITEM_REJECTED",
            changes,
            payload={"ownerId": item.owner_id},
        )
        await notifications.notify(
            uow,
            [item.owner_id],
            NotificationKind.ACTION_ITEM_REJECTED,
            f"Action item {item.number} sent back: {clean}",
            "ActionItem",
            item.id,
        )
    return item


async def cancel_action_item(uow: UnitOfWork, item_id: uuid.UUID, expected_version: int | None) -> ActionItem:
    item = await _locked(uow, item_id, expected_version)
    status = ACTIONS.next(item.status, "cancel")
    actor = uow.actor
    if actor is None or not (actor.id == item.created_by_id or actor.role in ("SUPERVISOR", "ADMIN")):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "only its creator, a supervisor or an admin may cancel an action item",
            ["actionItemId"],
        )
    changes = _move(uow, item, status)
    item.cancelled_at = uow.now
    _record(uow, item, "cancelled", f"Action item {item.number} cancelled", "ACTION_ITEM_CANCELLED", changes)
    return item


# --- helpers ---


async def _add(
    uow: UnitOfWork, data: NewActionItem, title: str, description: str | None, customer_id: uuid.UUID | None
) -> ActionItem:
    assert uow.actor_id is not None
    item = ActionItem(
        id=uuid.uuid4(),
        title=title,
        description=description,
        source=data.source,
        status="OPEN",
        owner_id=data.owner_id,
        due_at=data.due_at,
        customer_id=customer_id,
        feedback_id=data.feedback_id,
        ticket_id=data.ticket_id,
        meeting_id=data.meeting_id,
        survey_id=data.survey_id,
        created_by_id=uow.actor_id,
    )
    await repo.add(uow.session, item, uow.now)
    _record(
        uow,
        item,
        "created",
        f"Action item {item.number} opened: {title}",
        "ACTION_ITEM_CREATED",
        {"title": title, "source": data.source, "ownerId": data.owner_id, "dueAt": data.due_at},
        payload={"ownerId": data.owner_id, "source": data.source},
    )
    await notifications.notify(
        uow,
        [item.owner_id],
        NotificationKind.ACTION_ITEM_ASSIGNED,
        f"Action item {item.number} is yours, due {item.due_at:%Y-%m-%d %H:%M} UTC: {title}",
        "ActionItem",
        item.id,
    )
    return item


async def _linked_customer(uow: UnitOfWork, data: NewActionItem) -> uuid.UUID | None:
    """The customer the action is about: given, else the linked feedback's or ticket's; every link must be
    that customer's."""
    customer_id = data.customer_id or await customer_of_link(uow, data.feedback_id, data.ticket_id)
    if customer_id is None:
        return None
    await require_customer(uow, customer_id)
    await check_feedback_of(uow, customer_id, data.feedback_id)
    await check_ticket_of(uow, customer_id, data.ticket_id)
    return customer_id


async def check_meeting(uow: UnitOfWork, meeting_id: uuid.UUID | None) -> None:
    """A linked meeting must exist (None: none linked). A meeting has no customer to agree with."""
    if meeting_id is not None and not await meetings_repo.exists(uow.session, meeting_id):
        raise not_found("meeting", "meetingId")


async def check_survey(uow: UnitOfWork, survey_id: uuid.UUID | None, customer_id: uuid.UUID | None) -> None:
    """A linked survey must exist (None: none linked); an action about a customer may come only from a
    survey that customer was asked in."""
    if survey_id is None:
        return
    if not await surveys_repo.exists(uow.session, survey_id):
        raise not_found("survey", "surveyId")
    if customer_id is not None and not await surveys_repo.is_target(uow.session, survey_id, customer_id):
        raise invalid("the customer was not asked in that survey", "surveyId")


async def _locked(uow: UnitOfWork, item_id: uuid.UUID, expected_version: int | None) -> ActionItem:
    item = await repo.get(uow.session, item_id, for_update=True)
    if item is None:
        raise not_found("action item", "actionItemId")
    check_version("action item", expected_version, item.version)
    return item


def _owner_only(uow: UnitOfWork, item: ActionItem, refusal: str) -> None:
    actor = uow.actor
    if actor is None or not (actor.id == item.owner_id or actor.role == "ADMIN"):
        raise DomainError(ErrorCode.FORBIDDEN, refusal, ["actionItemId"])


def _move(uow: UnitOfWork, item: ActionItem, status: str) -> dict[str, Any]:
    return enter(item, status, uow.now)


def _subject(item: ActionItem) -> Subject:
    return Subject("ActionItem", item.id, item.customer_id, None, {"status": item.status, "number": item.number})


def _record(
    uow: UnitOfWork,
    item: ActionItem,
    verb: str,
    summary: str,
    event: str,
    changes: dict[str, Any],
    payload: dict[str, Any] | None = None,
) -> None:
    uow.record_about(_subject(item), f"action_item.{verb}", summary, event, changes=changes, payload=payload)
