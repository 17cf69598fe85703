"""Comments on work items (db/models/comments.py): adding one, a subject's page of them, and the subject
row a comment is about. Every function takes the subject's GraphQL type name and finds its column in
`SUBJECT_COLUMNS`, so a new kind of subject needs nothing here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Unpack

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketComment, WorkItemComment
from db.models.comments import SUBJECT_COLUMNS
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_int, fetch_page

_KEYS = [by_int(WorkItemComment.seq)]  # oldest first, as a conversation reads

_comments = rows.Table(WorkItemComment, generated=["seq"])
add = _comments.add
get = _comments.get


def _column(type_name: str) -> Any:
    return WorkItemComment.__table__.c[SUBJECT_COLUMNS[type_name]]


def subject_table(type_name: str) -> Table:
    """The table of a kind of subject: the one its column's foreign key refers to."""
    (foreign_key,) = _column(type_name).foreign_keys
    table = foreign_key.column.table
    assert isinstance(table, Table)
    return table


async def subject_row(session: AsyncSession, type_name: str, subject_id: uuid.UUID) -> Mapping[str, Any] | None:
    """The subject's row (its columns by name), None when there is no such row. Not locked: a comment
    changes nothing of its subject, and the foreign key keeps the subject from going away."""
    table = subject_table(type_name)
    result = await session.execute(select(table).where(table.c.id == subject_id))
    row = result.mappings().one_or_none()
    return None if row is None else dict(row)


async def page(
    session: AsyncSession,
    type_name: str,
    subject_id: uuid.UUID,
    *,
    include_internal: bool,
    **window: Unpack[Window],
) -> Page[WorkItemComment]:
    """The subject's comments, oldest first; INTERNAL ones only when `include_internal` (the filter is in
    the page query, so the page, its cursors and totalCount agree)."""
    stmt = select(WorkItemComment).where(_column(type_name) == subject_id)
    if not include_internal:
        stmt = stmt.where(WorkItemComment.visibility == "CUSTOMER")
    return await fetch_page(session, stmt, _KEYS, **window)


class SubjectComments:
    """`page` of one kind of subject, in the shape of a type's page field (schema/types/common.py
    `visible_page`): `Order.comments` reads `SubjectComments("Order")` (schema/types/comments.py)."""

    def __init__(self, type_name: str) -> None:
        _column(type_name)  # a subject that is not registered fails at import, not on the first query
        self.type_name = type_name

    async def __call__(
        self, session: AsyncSession, subject_id: uuid.UUID, /, *, include_internal: bool, **window: Unpack[Window]
    ) -> Page[WorkItemComment]:
        return await page(session, self.type_name, subject_id, include_internal=include_internal, **window)


async def newest_ticket_reply(session: AsyncSession, ticket_id: uuid.UUID) -> TicketComment | None:
    """The ticket's newest reply in this transaction's view. Right after services/tickets.py `add_comment`
    it is the one just added: that holds the ticket's row lock, so no other reply can come in between."""
    stmt = (
        select(TicketComment)
        .where(TicketComment.ticket_id == ticket_id, TicketComment.escalation_id.is_(None))
        .order_by(TicketComment.seq.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()
