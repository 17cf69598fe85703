"""Action item queries and mutations (the improvement loop)."""

from __future__ import annotations

import uuid

from db.repositories import action_items as repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.action_items import ActionItem, ActionItemFilter, ActionItemsOrderBy
from schema.types.action_items_inputs import (
    ActionItemActionInput,
    ActionItemPayload,
    CompleteActionItemInput,
    CreateActionItemInput,
    VerifyActionItemInput,
)
from schema.types.common import Connection, query_id
from services import action_items as service
from services.action_items import NewActionItem
from services.clock import utc


async def action_items(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: ActionItemFilter | None = None,
    order_by: ActionItemsOrderBy = ActionItemsOrderBy.CREATED_AT_DESC,
) -> Connection[ActionItem]:
    """Action items, newest first unless `orderBy` says otherwise."""
    f = filter or ActionItemFilter()
    filters = {
        "statuses": [s.value for s in f.status or []],
        "sources": [s.value for s in f.source or []],
        "owner_id": query_id(f.owner_id, "User", "ownerId"),
        "customer_id": query_id(f.customer_id, "Customer", "customerId"),
        "overdue": f.overdue,
        "now": info.context.clock.now(),
        "order_by": order_by.value,
    }
    return await page(info, repo.page, ActionItem.from_row, first, after, last, before, **filters)


_action_item = Answer(ActionItemPayload, action_item=ActionItem.from_row)


async def create_action_item(info: Info, input: CreateActionItemInput) -> ActionItemPayload:
    def request() -> NewActionItem:
        return NewActionItem(
            title=input.title,
            source=input.source.value,
            owner_id=decode_id(input.owner_id, "User", "ownerId"),
            due_at=utc(input.due_at),
            description=input.description,
            customer_id=decode_optional_id(input.customer_id, "Customer", "customerId"),
            feedback_id=decode_optional_id(input.feedback_id, "Feedback", "feedbackId"),
            ticket_id=decode_optional_id(input.ticket_id, "Ticket", "ticketId"),
            survey_id=decode_optional_id(input.survey_id, "Survey", "surveyId"),
            meeting_id=decode_optional_id(input.meeting_id, "Meeting", "meetingId"),
        )

    action = create_once("createActionItem", input.idempotency_key, request, service.create_action_item, repo.get)
    return await _action_item(info, action)


def _id(input: ActionItemActionInput | CompleteActionItemInput | VerifyActionItemInput) -> uuid.UUID:
    return decode_id(input.action_item_id, "ActionItem", "actionItemId")


async def start_action_item(info: Info, input: ActionItemActionInput) -> ActionItemPayload:
    return await _action_item(info, lambda uow: service.start_action_item(uow, _id(input), input.expected_version))


async def complete_action_item(info: Info, input: CompleteActionItemInput) -> ActionItemPayload:
    return await _action_item(
        info, lambda uow: service.complete_action_item(uow, _id(input), input.expected_version, input.outcome)
    )


async def verify_action_item(info: Info, input: VerifyActionItemInput) -> ActionItemPayload:
    return await _action_item(
        info,
        lambda uow: service.verify_action_item(uow, _id(input), input.expected_version, input.effective, input.note),
    )


async def cancel_action_item(info: Info, input: ActionItemActionInput) -> ActionItemPayload:
    return await _action_item(info, lambda uow: service.cancel_action_item(uow, _id(input), input.expected_version))
