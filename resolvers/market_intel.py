"""Market intelligence queries and mutations."""

from __future__ import annotations

from typing import Any

import strawberry

from db.models import MarketIntel as MarketIntelRow
from db.repositories import market_intel as repo
from resolvers.mutation_boundary import Answer, create_once, given
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import BadUserInput, Connection, query_id
from schema.types.market_intel import IntelKind, MarketIntel
from schema.types.market_intel_inputs import MarketIntelPayload, PostMarketIntelInput, UpdateMarketIntelInput
from services import market_intel as service
from services.i18n import T
from services.market_intel import SEARCH_MAX, NewMarketIntel, search_term, tag_key
from services.unit_of_work import UnitOfWork


async def market_intel(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    kind: list[IntelKind] | None = None,
    tag: str | None = None,
    search: str | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[MarketIntel]:
    """Market intelligence, newest first. `tag`: posts with that tag, any case; `search`: a piece of the
    title, the body or a tag, any case (Chinese included: a substring, no word splitting)."""
    term = search_term(search)
    if term is not None and len(term) > SEARCH_MAX:
        raise BadUserInput(T("search must be at most {n} characters", n=SEARCH_MAX))
    key = search_term(tag)
    filters: dict[str, Any] = {
        "kinds": [k.value for k in kind or []],
        "tag_key": tag_key(key) if key is not None else None,
        "search": term,
        "customer_id": query_id(customer_id, "Customer", "customerId"),
    }
    return await page(info, repo.page, MarketIntel.from_row, first, after, last, before, **filters)


_intel = Answer(MarketIntelPayload, market_intel=MarketIntel.from_row)


async def post_market_intel(info: Info, input: PostMarketIntelInput) -> MarketIntelPayload:
    def request() -> NewMarketIntel:
        return NewMarketIntel(
            kind=input.kind.value,
            title=input.title,
            body=input.body,
            tags=list(input.tags or []),
            customer_id=decode_optional_id(input.customer_id, "Customer", "customerId"),
        )

    action = create_once("postMarketIntel", input.idempotency_key, request, service.post_market_intel, repo.get)
    return await _intel(info, action)


async def update_market_intel(info: Info, input: UpdateMarketIntelInput) -> MarketIntelPayload:
    async def action(uow: UnitOfWork) -> MarketIntelRow:
        fields: dict[str, Any] = {}
        if given(input.kind):
            fields["kind"] = input.kind.value if input.kind is not None else None
        for name in ("title", "body", "tags"):
            if given(getattr(input, name)):
                fields[name] = getattr(input, name)
        intel_id = decode_id(input.market_intel_id, "MarketIntel", "marketIntelId")
        return await service.update_market_intel(uow, intel_id, input.expected_version, **fields)

    return await _intel(info, action)
