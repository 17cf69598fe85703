"""The improvement loop (after-sale 3): ActionItem, its enums and its list filter."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from db.models import ActionItem as ActionItemRow
from db.repositories import action_items as action_items_repo
from db.repositories import activity as activity_repo
from schema.context import Info
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.comments import CommentConnection, comments_of
from schema.types.common import Connection, FromRow, lazy_type, required, to_one, visible_page
from schema.types.customers import Activity, Customer
from services.action_items import overdue
from services.rules.action_items import ActionItemSource, ActionItemStatus

# The feedback's and tickets' types come later in the import order: strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.feedback import Feedback
    from schema.types.meetings import Meeting
    from schema.types.surveys import Survey
    from schema.types.tickets import Ticket

__all__ = ["ActionItem", "ActionItemFilter", "ActionItemSource", "ActionItemStatus"]


@strawberry.enum(description="The order of the action-item list; every order ends with the id (exact pages).")
class ActionItemsOrderBy(Enum):
    CREATED_AT_DESC = strawberry.enum_value("CREATED_AT_DESC", description="Newest first (the default).")
    CREATED_AT_ASC = "CREATED_AT_ASC"
    DUE_AT_ASC = strawberry.enum_value("DUE_AT_ASC", description="Due soonest first.")
    DUE_AT_DESC = "DUE_AT_DESC"


assert {o.value for o in ActionItemsOrderBy} == set(action_items_repo.ORDERINGS), "one value per repository ordering"


@strawberry.type(description="An improvement (rectification) action: an owner, a due date, a verified effect.")
class ActionItem(relay.Node, FromRow[ActionItemRow]):
    id: relay.NodeID[str]
    number: str
    title: str
    description: str | None
    source: ActionItemSource
    status: ActionItemStatus
    owner: User = required("users", "owner_id", lambda: User)
    due_at: datetime
    customer: Customer | None = to_one("customers", "customer_id", lambda: Customer)
    feedback: Annotated[Feedback, strawberry.lazy("schema.types.feedback")] | None = to_one(
        "feedback", "feedback_id", lazy_type("schema.types.feedback", "Feedback")
    )
    ticket: Annotated[Ticket, strawberry.lazy("schema.types.tickets")] | None = to_one(
        "tickets", "ticket_id", lazy_type("schema.types.tickets", "Ticket")
    )
    survey: Annotated[Survey, strawberry.lazy("schema.types.surveys")] | None = to_one(
        "surveys", "survey_id", lazy_type("schema.types.surveys", "Survey")
    )
    meeting: Annotated[Meeting, strawberry.lazy("schema.types.meetings")] | None = to_one(
        "meetings", "meeting_id", lazy_type("schema.types.meetings", "Meeting")
    )
    outcome: str | None
    verified_by: User | None = to_one("users", "verified_by_id", lambda: User)
    verified_at: datetime | None
    verification_note: str | None
    created_by: User = required("users", "created_by_id", lambda: User)
    created_at: datetime
    comments: CommentConnection = comments_of("ActionItem")
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.action_item_timeline,
        lambda: Activity,
        description="What happened to this action item, oldest first.",
    )
    version: int
    _row: strawberry.Private[ActionItemRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.action_items)  # node(id:)

    @strawberry.field(description="Past its due time and neither done, verified nor cancelled (as of this request).")
    def overdue(self, info: Info) -> bool:
        return overdue(self._row, info.context.clock.now())


@strawberry.input
class ActionItemFilter:
    status: list[ActionItemStatus] | None = None
    source: list[ActionItemSource] | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    overdue: bool | None = None
