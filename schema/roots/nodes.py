"""Root field `node(id:)`: any object by its global ID (the types are each domain's NODE_TYPES)."""

from __future__ import annotations

from resolvers import nodes as r
from schema.roots import queries
from services.access import Action

Query = queries((Action.READ, r.node))
