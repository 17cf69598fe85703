"""`node(id:)`: any object by its global ID."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.await_maybe import await_maybe

from schema.context import Info
from schema.ids import parse_global_id
from schema.types.common import BadUserInput
from services.i18n import T


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    """Any object by its global ID; null when it does not exist. The ID's type name is looked up in the
    schema being executed: every object type implementing Node there (each domain's NODE_TYPES) resolves."""
    parsed = parse_global_id(id)
    if parsed is None:
        raise BadUserInput(T("{id} is not a valid ID", id=repr(id)))
    type_name, raw = parsed
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
        return None
    node_type = definition.origin
    if not issubclass(node_type, relay.Node):
        return None
    (result,) = await await_maybe(node_type.resolve_nodes(info=info, node_ids=[raw], required=False))
    return result
