"""Root field `node(id:)`: any object by its global ID (the types are each domain's NODE_TYPES)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from resolvers import nodes as r
from schema.roots import query
from services.access import Action


@strawberry.type
class Query:
    node: relay.Node | None = query(r.node, Action.READ)
