"""Problem analysis and trends (after-sale 2, DOMAIN.md part 2): what a ticket analysis groups by, and
the buckets of a KPI series."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class AnalysisDimension(StrEnum):
    ROOT_CAUSE = "ROOT_CAUSE"
    KIND = "KIND"
    PRIORITY = "PRIORITY"
    PRODUCT_MODEL = "PRODUCT_MODEL"
    CUSTOMER = "CUSTOMER"
    REGION = "REGION"


class TimeBucket(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"  # ISO weeks, Monday to Monday
    MONTH = "MONTH"


ANALYSIS_DIMENSIONS = values(AnalysisDimension)
TIME_BUCKETS = values(TimeBucket)
# The key of the tickets a dimension has no value for (unresolved: no root cause; no order; no region).
NONE_KEY = "NONE"
