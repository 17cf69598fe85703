"""Market intelligence (市場動態): what a post is about, and the bounds of its tags."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class IntelKind(StrEnum):
    MARKET_TREND = "MARKET_TREND"
    COMPETITOR = "COMPETITOR"
    CUSTOMER_NEED = "CUSTOMER_NEED"
    REGULATION = "REGULATION"
    PRODUCT_FEEDBACK = "PRODUCT_FEEDBACK"
    OTHER = "OTHER"


INTEL_KINDS = values(IntelKind)
# A post's tags: a handful of short labels people filter by, not a second body.
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
TITLE_MAX = 200
BODY_MAX = 20000
