"""The write side of comments on every work item: `addComment(subjectId:)`."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.tickets import Comment, CommentVisibility


@strawberry.input
class AddCommentInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The global ID of an Opportunity, Order, ServiceJob, Ticket or ActionItem."
    )
    body: str
    visibility: CommentVisibility


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
