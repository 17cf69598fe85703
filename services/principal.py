"""Who is calling: a signed-in person or an API key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class PrincipalKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    name: str
    department: str | None = None  # users only
    role: str | None = None  # users only
    scope: str | None = None  # API keys only: "reporting" | "board"

    @property
    def is_user(self) -> bool:
        return self.kind is PrincipalKind.USER

    @property
    def user_id(self) -> uuid.UUID | None:
        """The id to record as actor of a change (API keys never change anything)."""
        return self.id if self.is_user else None

    @property
    def idempotency_scope(self) -> str:
        return f"{self.kind}:{self.id}"
