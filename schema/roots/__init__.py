"""Root fields, one module per domain (`schema/roots/<domain>.py`), composed in schema/schema.py's `ROOTS`.

A domain's root module may define `Query`, `Mutation`, `Subscription` (strawberry types whose fields name
their resolver and who may use them), `NODE_TYPES` (its types that `node(id:)` resolves) and `TYPES`
(types reachable only through an interface). The root types are built with `queries`, `mutations` and
`subscriptions` below from a table of runs, each run naming who may use its fields and then the fields'
resolvers, in the order the fields appear in the SDL:

    Mutation = mutations(
        (SALES, r.create_order, r.update_order, r.hand_off_order, r.cancel_order),
        (SERVICE, r.confirm_order, r.return_order),
    )

A field is named after its resolver (`create_order` is `createOrder`) and typed by the resolver's return
annotation; `described(resolver, text)` gives it a description. No field can be declared without saying
who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from schema.permissions import Allowed
from services.access import Action

Who = Action | type[BasePermission]
Resolver = Callable[..., Any]


@dataclass(frozen=True)
class _Described:
    resolver: Resolver
    description: str


def described(resolver: Resolver, description: str) -> _Described:
    """A field of a run, with its description in the SDL."""
    return _Described(resolver, description)


# A run of root fields: who may use them, then their resolvers (in resolvers/<domain>.py), in SDL order.
Run = tuple[Who, *tuple[Resolver | _Described, ...]]


def _permissions(who: Who) -> list[type[BasePermission]]:
    if isinstance(who, Action):
        return [Allowed(who)]
    if isinstance(who, type) and issubclass(who, BasePermission):
        return [who]
    raise TypeError(f"a run of root fields starts with who may use them (an Action or a permission), not {who!r}")


def _root(name: str, field: Callable[..., Any], runs: tuple[Run, ...]) -> type:
    fields: dict[str, Any] = {}
    for who, *entries in runs:
        for entry in entries:
            resolver, description = (
                (entry.resolver, entry.description) if isinstance(entry, _Described) else (entry, None)
            )
            if resolver.__name__ in fields:
                raise ValueError(f"{name}.{resolver.__name__} is declared twice")
            fields[resolver.__name__] = field(
                resolver=resolver, permission_classes=_permissions(who), description=description
            )
    return strawberry.type(type(name, (), fields))


def queries(*runs: Run) -> type:
    """The domain's Query fields."""
    return _root("Query", strawberry.field, runs)


def mutations(*runs: Run) -> type:
    """The domain's Mutation fields."""
    return _root("Mutation", strawberry.mutation, runs)


def subscriptions(*runs: Run) -> type:
    """The domain's Subscription fields."""
    return _root("Subscription", strawberry.subscription, runs)
