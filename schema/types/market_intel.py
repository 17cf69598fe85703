"""Market intelligence (市場動態): MarketIntel and its kinds."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models import MarketIntel as MarketIntelRow
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.comments import CommentConnection, comments_of
from schema.types.common import FromRow, required, to_one
from schema.types.customers import Customer
from services.rules.market_intel import IntelKind

__all__ = ["IntelKind", "MarketIntel"]


@strawberry.type(description="What marketing learned about the market, a competitor or a customer; everyone reads it.")
class MarketIntel(relay.Node, FromRow[MarketIntelRow]):
    id: relay.NodeID[str]
    kind: IntelKind
    title: str
    body: str
    tags: list[str] = strawberry.field(description="As their author typed them; matched case-insensitively.")
    customer: Customer | None = to_one("customers", "customer_id", lambda: Customer)
    author: User = required("users", "author_id", lambda: User)
    created_at: datetime
    updated_at: datetime
    comments: CommentConnection = comments_of("MarketIntel")
    version: int
    _row: strawberry.Private[MarketIntelRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.market_intel)  # node(id:)
