"""GraphQL enums mirroring the values stored in the database."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Department(Enum):
    MARKETING = "MARKETING"
    SERVICE = "SERVICE"
    MANAGEMENT = "MANAGEMENT"


@strawberry.enum
class Role(Enum):
    STAFF = "STAFF"
    LEAD = "LEAD"
    SUPERVISOR = "SUPERVISOR"
    ADMIN = "ADMIN"


@strawberry.enum
class LifecycleStage(Enum):
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    CHURNED = "CHURNED"


@strawberry.enum
class ApiKeyScope(Enum):
    REPORTING = "reporting"
    BOARD = "board"
