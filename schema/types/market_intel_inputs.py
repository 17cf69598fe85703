"""Market intelligence's write side: the inputs and the payload of posting and editing."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.market_intel import IntelKind, MarketIntel


@strawberry.input
class PostMarketIntelInput:
    kind: IntelKind
    title: str
    body: str
    tags: list[str] | None = None
    customer_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Fields left out stay as they are.")
class UpdateMarketIntelInput:
    market_intel_id: strawberry.ID
    expected_version: int | None = None
    kind: IntelKind | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.type
class MarketIntelPayload:
    market_intel: MarketIntel | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
