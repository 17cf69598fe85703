"""Service jobs (in-sale 2): kinds, statuses, quality results, and the actions of the job's state machine."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class ServiceJobKind(StrEnum):
    INSTALLATION = "INSTALLATION"
    COMMISSIONING = "COMMISSIONING"
    TRAINING = "TRAINING"
    REPAIR = "REPAIR"
    MAINTENANCE = "MAINTENANCE"
    INSPECTION = "INSPECTION"


class ServiceJobStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class QualityResult(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"


SERVICE_JOB_KINDS = values(ServiceJobKind)
SERVICE_JOB_STATUSES = values(ServiceJobStatus)
SERVICE_JOB_ACTIONS = ("start", "complete", "cancel", "reassign")
QUALITY_RESULTS = values(QualityResult)
# Orders that can take (more) service work.
SCHEDULABLE_ORDER_STATUSES = ("CONFIRMED", "IN_SERVICE")
