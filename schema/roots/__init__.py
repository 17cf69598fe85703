"""Root fields, one module per domain (`schema/roots/<domain>.py`), composed in schema/schema.py's `ROOTS`.

A domain's root module may define `Query`, `Mutation`, `Subscription` (strawberry types whose fields name
their resolver and who may use them), `NODE_TYPES` (its types that `node(id:)` resolves) and `TYPES`
(types reachable only through an interface). Its fields are declared with `query`, `mutation` and
`subscription` below, which cannot be called without saying who may use the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from schema.permissions import Allowed
from services.access import Action

Who = Action | type[BasePermission]


def _permissions(who: Who) -> list[type[BasePermission]]:
    return [Allowed(who) if isinstance(who, Action) else who]


def query(resolver: Callable[..., Any], who: Who, *, description: str | None = None) -> Any:
    """A Query field: `resolver` (in resolvers/<domain>.py), usable by whoever `who` allows."""
    return strawberry.field(resolver=resolver, permission_classes=_permissions(who), description=description)


def mutation(resolver: Callable[..., Any], who: Who) -> Any:
    """A Mutation field: `resolver` (in resolvers/<domain>.py), usable by whoever `who` allows."""
    return strawberry.mutation(resolver=resolver, permission_classes=_permissions(who))


def subscription(resolver: Callable[..., Any], who: Who, *, description: str) -> Any:
    """A Subscription field: `resolver` (in resolvers/<domain>.py), usable by whoever `who` allows."""
    return strawberry.subscription(resolver=resolver, permission_classes=_permissions(who), description=description)
