"""Service jobs' write side: the inputs and payloads of the service-job mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.common import UserError
from schema.types.service_jobs import QualityResult, ServiceJob, ServiceJobKind


@strawberry.input
class ScheduleServiceJobInput:
    kind: ServiceJobKind
    scheduled_start: datetime
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    technician_id: strawberry.ID | None = None
    scheduled_end: datetime | None = None
    notes: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class ServiceJobActionInput:
    service_job_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CompleteServiceJobInput:
    service_job_id: strawberry.ID
    quality_result: QualityResult
    notes: str | None = None
    expected_version: int | None = None


@strawberry.input
class ReassignServiceJobInput:
    service_job_id: strawberry.ID
    technician_id: strawberry.ID
    expected_version: int | None = None


@strawberry.type
class ServiceJobPayload:
    service_job: ServiceJob | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
