"""Requests per API key in its current rate-limit window (services/rate_limits.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class ApiKeyRateLimit(Base):
    """One row per API key that has made a request: the start of its current fixed window and the
    requests admitted in it (limit + 1 once it refuses). Every server process counts in the same row,
    so several processes together enforce one limit. A revoked or deleted key's row goes with it."""

    __tablename__ = "api_key_rate_limits"

    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[datetime]
    requests: Mapped[int]
