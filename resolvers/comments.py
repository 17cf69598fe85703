"""`addComment(subjectId:)`: a comment on any work item (services/comments.py)."""

from __future__ import annotations

import uuid

from db.models import TicketComment, WorkItemComment
from resolvers.mutation_boundary import Answer
from schema.context import Info
from schema.ids import decode_id, parse_global_id
from schema.types.comments_inputs import AddCommentInput, AddCommentPayload
from schema.types.common import from_columns
from schema.types.tickets import Comment
from services import comments as service
from services.errors import invalid
from services.i18n import T
from services.unit_of_work import UnitOfWork


def _as_comment(row: TicketComment | WorkItemComment) -> Comment:
    """A ticket's reply or another subject's comment: the same columns, the same GraphQL type."""
    return from_columns(Comment, row)


_comment = Answer(AddCommentPayload, comment=_as_comment)


def _subject(input: AddCommentInput) -> tuple[str, uuid.UUID]:
    """The subject's type and id; a malformed id, or one of a type that takes no comments, is refused."""
    parsed = parse_global_id(input.subject_id)
    if parsed is None or parsed[0] not in service.SUBJECT_TYPES:
        raise invalid(
            T("subjectId is not the id of one of: {types}", types=", ".join(service.SUBJECT_TYPES)), "subjectId"
        )
    return parsed[0], decode_id(input.subject_id, parsed[0], "subjectId")


async def add_comment(info: Info, input: AddCommentInput) -> AddCommentPayload:
    async def action(uow: UnitOfWork) -> TicketComment | WorkItemComment:
        subject_type, subject_id = _subject(input)
        return await service.add_comment(uow, subject_type, subject_id, input.body, input.visibility.value)

    return await _comment(info, action)
