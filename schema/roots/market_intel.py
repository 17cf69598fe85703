"""Root fields of market intelligence (市場動態): everyone reads (people and API keys, as all operational
data); marketing and admins post and edit (the author or an admin: services/market_intel.py)."""

from __future__ import annotations

from resolvers import market_intel as r
from schema.roots import mutations, queries
from schema.types.market_intel import MarketIntel
from services.access import Action

NODE_TYPES = [MarketIntel]

Query = queries((Action.READ, r.market_intel))

Mutation = mutations((Action.MARKET_INTELLIGENCE, r.post_market_intel, r.update_market_intel))
