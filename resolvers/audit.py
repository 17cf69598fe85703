"""The audit log: every recorded change, for supervisors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.repositories import activity as activity_repo
from resolvers.pages import page
from schema.context import Info
from schema.types.common import BadUserInput, Connection, may_read_internal, query_id
from schema.types.customers import Activity
from services.clock import utc


async def audit_log(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    actor_id: strawberry.ID | None = None,
    entity_type: str | None = None,
    from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
    to: datetime | None = None,
) -> Connection[Activity]:
    """Every recorded change, newest first, with its field changes; narrowed by who, what kind of entity
    and when ([from, to))."""
    start, end = utc(from_), utc(to)
    if start is not None and end is not None and end <= start:
        raise BadUserInput("`to` must be after `from`")
    if entity_type is not None and not (0 < len(entity_type) <= 40):
        raise BadUserInput("entityType is a type name such as Ticket or ActionItem")
    filters = {
        "actor_id": query_id(actor_id, "User", "actorId"),
        "entity_type": entity_type,
        "start": start,
        "end": end,
        "include_internal": may_read_internal(info),
    }
    return await page(info, activity_repo.audit_page, Activity.from_row, first, after, last, before, **filters)
