"""The improvement loop's write side: the inputs and payloads of the action-item mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.action_items import ActionItem, ActionItemSource
from schema.types.common import UserError


@strawberry.input
class CreateActionItemInput:
    title: str
    source: ActionItemSource
    owner_id: strawberry.ID
    due_at: datetime
    description: str | None = None
    customer_id: strawberry.ID | None = None
    feedback_id: strawberry.ID | None = None
    ticket_id: strawberry.ID | None = None
    survey_id: strawberry.ID | None = None
    meeting_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class ActionItemActionInput:
    action_item_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CompleteActionItemInput:
    action_item_id: strawberry.ID
    outcome: str
    expected_version: int | None = None


@strawberry.input
class VerifyActionItemInput:
    action_item_id: strawberry.ID
    effective: bool
    note: str
    expected_version: int | None = None


@strawberry.type
class ActionItemPayload:
    action_item: ActionItem | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
