"""Market intelligence (市場動態): what marketing learns about the market, competitors and customers,
shared with everyone."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.market_intel import INTEL_KINDS, MAX_TAGS


class MarketIntel(Timestamped, Versioned, Base):
    __tablename__ = "market_intel"
    __table_args__ = (
        CheckConstraint(f"kind IN {INTEL_KINDS}", name="kind"),
        CheckConstraint(f"cardinality(tags) <= {MAX_TAGS}", name="tag_count"),
        CheckConstraint("cardinality(tag_keys) = cardinality(tags)", name="tag_keys_match"),
        # Newest first; the kind and customer filters each have their own keyset index.
        *keyset_indexes("market_intel", "created", "created_at", "kind", "customer_id"),
        # The exact-tag filter is `tag_keys @> ARRAY[key]`, which a GIN index answers.
        Index("ix_market_intel_tag_keys", "tag_keys", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The tags as their author typed them (trimmed), shown as they are ...
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    # ... and, in the same order, the keys they are matched by (services/market_intel.py `tag_key`: case
    # folded in Python, so the filter's key is made by the same function as the stored ones).
    tag_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
