"""Customers: lifecycle stages."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class LifecycleStage(StrEnum):
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    CHURNED = "CHURNED"


LIFECYCLE_STAGES = values(LifecycleStage)
