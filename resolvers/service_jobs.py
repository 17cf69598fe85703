"""Service job queries and mutations (in-sale service start)."""

from __future__ import annotations

import uuid

import strawberry

from db.repositories import service_jobs as jobs_repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, query_id
from schema.types.service_jobs import ServiceJob, ServiceJobStatus
from schema.types.service_jobs_inputs import (
    CompleteServiceJobInput,
    ReassignServiceJobInput,
    ScheduleServiceJobInput,
    ServiceJobActionInput,
    ServiceJobPayload,
)
from services import service_jobs as service
from services.clock import utc
from services.service_jobs import NewServiceJob


async def service_jobs(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: list[ServiceJobStatus] | None = None,
    order_id: strawberry.ID | None = None,
    technician_id: strawberry.ID | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[ServiceJob]:
    """Service jobs, latest scheduled start first."""
    filters = {
        "statuses": [s.value for s in status or []],
        "order_id": query_id(order_id, "Order", "orderId"),
        "technician_id": query_id(technician_id, "User", "technicianId"),
        "customer_id": query_id(customer_id, "Customer", "customerId"),
    }
    return await page(info, jobs_repo.page, ServiceJob.from_row, first, after, last, before, **filters)


_service_job = Answer(ServiceJobPayload, service_job=ServiceJob.from_row)


async def schedule_service_job(info: Info, input: ScheduleServiceJobInput) -> ServiceJobPayload:
    def request() -> NewServiceJob:
        return NewServiceJob(
            kind=input.kind.value,
            scheduled_start=utc(input.scheduled_start),
            scheduled_end=utc(input.scheduled_end),
            notes=input.notes,
            order_id=decode_optional_id(input.order_id, "Order", "orderId"),
            customer_id=decode_optional_id(input.customer_id, "Customer", "customerId"),
            technician_id=decode_optional_id(input.technician_id, "User", "technicianId"),
        )

    action = create_once(
        "scheduleServiceJob", input.idempotency_key, request, service.schedule_service_job, jobs_repo.get
    )
    return await _service_job(info, action)


def _id(input: ServiceJobActionInput | CompleteServiceJobInput | ReassignServiceJobInput) -> uuid.UUID:
    return decode_id(input.service_job_id, "ServiceJob", "serviceJobId")


async def start_service_job(info: Info, input: ServiceJobActionInput) -> ServiceJobPayload:
    return await _service_job(info, lambda uow: service.start_service_job(uow, _id(input), input.expected_version))


async def complete_service_job(info: Info, input: CompleteServiceJobInput) -> ServiceJobPayload:
    return await _service_job(
        info,
        lambda uow: service.complete_service_job(
            uow, _id(input), input.expected_version, input.quality_result.value, input.notes
        ),
    )


async def cancel_service_job(info: Info, input: ServiceJobActionInput) -> ServiceJobPayload:
    return await _service_job(info, lambda uow: service.cancel_service_job(uow, _id(input), input.expected_version))


async def reassign_service_job(info: Info, input: ReassignServiceJobInput) -> ServiceJobPayload:
    return await _service_job(
        info,
        lambda uow: service.reassign_service_job(
            uow, _id(input), input.expected_version, decode_id(input.technician_id, "User", "technicianId")
        ),
    )
