"""The `comments` connection of every commentable work item but a ticket (whose replies are
schema/types/tickets.py `Ticket.comments`): one line on the subject's type,

    comments: CommentConnection = comments_of("Order")

its page read from the `comments` table (db/repositories/comments.py), INTERNAL comments only for callers
who may read them (`visible_page`, as `Ticket.comments`). The GraphQL type is the tickets' `Comment`,
imported lazily: the tickets' module imports the orders' and the service jobs' types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from strawberry.types.lazy_type import LazyType

from db.repositories import comments as comments_repo
from schema.types.common import Connection, lazy_type, visible_page

__all__ = ["CommentConnection", "comments_of"]

if TYPE_CHECKING:
    from schema.types.tickets import Comment

    CommentConnection: TypeAlias = Connection[Comment]
else:
    # A lazy type as the generic's argument (what `Annotated[Comment, strawberry.lazy(...)]` resolves
    # to), so the subject's module needs no TYPE_CHECKING import of its own.
    CommentConnection = Connection[LazyType("Comment", "schema.types.tickets")]


def comments_of(type_name: str) -> Any:
    """The `comments(first:, after:)` field of a subject registered in db/models/comments.py."""
    page = comments_repo.SubjectComments(type_name)
    return visible_page(
        lambda: page,
        lazy_type("schema.types.tickets", "Comment"),
        description="Comments, oldest first (addComment). INTERNAL ones are not shown to API keys.",
    )
