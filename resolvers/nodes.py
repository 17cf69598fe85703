"""`node(id:)` and the event cursor."""

from __future__ import annotations

import strawberry
from strawberry import relay

from db.repositories import events as events_repo
from schema.ids import parse_global_id
from schema.types.common import BadUserInput


async def node(info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
    """Any object by its global ID; null when it does not exist."""
    from schema.schema import NODE_TYPES  # the registry is built from the full schema

    parsed = parse_global_id(id)
    if parsed is None:
        raise BadUserInput(f"{id!r} is not a valid ID")
    type_name, raw = parsed
    node_type = NODE_TYPES.get(type_name)
    if node_type is None:
        return None
    (result,) = await node_type.resolve_nodes(info=info, node_ids=[raw], required=False)
    return result


async def event_cursor(info: strawberry.Info) -> str:
    """Newest event id in this request's snapshot (the same snapshot as the rest of the query)."""
    return str(await info.context.read(events_repo.latest_id))
