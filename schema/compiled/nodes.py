"""`node(id:)` compiled: the object of a mapped Node type by its global id (resolvers/nodes.py).

The statement holds every mapped type whose selection compiles (planner.py `node`); the request's id
binds the type's name and the uuid. What the reference answers otherwise is left to it: a malformed
id (its BAD_USER_INPUT), a type that is not mapped or whose selection does not compile here (ApiKey's
FORBIDDEN, Activity's internal entries, a gated field for this caller), a type that is no Node or
none at all, and a uuid not spelled as issued (null there).
"""

from __future__ import annotations

import uuid
from typing import Any

from graphql import FieldNode
from graphql.execution.values import get_argument_values
from sqlalchemy.sql.elements import BindParameter

from schema.ids import parse_global_id


def canonical_uuid(raw: str) -> uuid.UUID | None:
    """schema/loaders.py `uuid_key`: only a uuid's canonical spelling names a row."""
    try:
        value = uuid.UUID(raw)
    except (ValueError, TypeError, AttributeError):
        return None
    return value if str(value) == raw else None


class NodeRoot:
    def __init__(self, prefix: str, field: Any, node: FieldNode):
        self.prefix, self.field, self.node = prefix, field, node
        self.types: set[str] = set()  # filled by the planner: the types this statement answers

    def arguments(self, variables: Any) -> dict[str, Any]:
        return get_argument_values(self.field, self.node, variables)

    def param(self, name: str, type_: Any) -> BindParameter[Any]:
        return BindParameter(self.prefix + name, None, type_=type_)

    def values(self, args: dict[str, Any]) -> dict[str, Any] | None:
        raw = args.get("id")
        parsed = parse_global_id(raw) if isinstance(raw, str) else None
        if parsed is None or parsed[0] not in self.types:
            return None
        key = canonical_uuid(parsed[1])
        return None if key is None else {"type": parsed[0], "id": key}

    def bind(self, variables: Any) -> dict[str, Any] | None:
        """Parameter values for a request; None: the reference answers it."""
        try:
            values = self.values(self.arguments(variables))
        except Exception:  # noqa: BLE001 - anything odd goes to the reference, which reports it
            return None
        return None if values is None else {self.prefix + name: value for name, value in values.items()}
