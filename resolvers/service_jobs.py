"""Service job queries and mutations (in-sale service start)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import overload

import strawberry

from db.models import ServiceJob as ServiceJobRow
from db.repositories import service_jobs as jobs_repo
from resolvers.mutation_boundary import create_once, mutate
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, UserError, connection, query_id
from schema.types.service_jobs import ServiceJob, ServiceJobStatus
from schema.types.service_jobs_inputs import (
    CompleteServiceJobInput,
    ReassignServiceJobInput,
    ScheduleServiceJobInput,
    ServiceJobActionInput,
    ServiceJobPayload,
)
from services import service_jobs as service
from services.service_jobs import NewServiceJob
from services.unit_of_work import UnitOfWork


async def service_jobs(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    status: list[ServiceJobStatus] | None = None,
    order_id: strawberry.ID | None = None,
    technician_id: strawberry.ID | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[ServiceJob]:
    """Service jobs, latest scheduled start first."""
    statuses = [s.value for s in status or []]
    oid = query_id(order_id, "Order", "orderId")
    tid = query_id(technician_id, "User", "technicianId")
    cid = query_id(customer_id, "Customer", "customerId")
    return await connection(
        info,
        lambda s, size: jobs_repo.page(
            s, first=size, after=after, statuses=statuses, order_id=oid, technician_id=tid, customer_id=cid
        ),
        first,
        ServiceJob.from_row,
    )


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    """A time sent without an offset is taken as UTC (the API speaks UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _payload(result: tuple[ServiceJobRow | None, list[UserError]]) -> ServiceJobPayload:
    job, errors = result
    return ServiceJobPayload(service_job=ServiceJob.from_row(job) if job else None, errors=errors)


async def schedule_service_job(info: Info, input: ScheduleServiceJobInput) -> ServiceJobPayload:
    async def action(uow: UnitOfWork) -> ServiceJobRow:
        data = NewServiceJob(
            kind=input.kind.value,
            scheduled_start=_utc(input.scheduled_start),
            scheduled_end=_utc(input.scheduled_end),
            notes=input.notes,
            order_id=decode_optional_id(input.order_id, "Order", "orderId"),
            customer_id=decode_optional_id(input.customer_id, "Customer", "customerId"),
            technician_id=decode_optional_id(input.technician_id, "User", "technicianId"),
        )
        return await create_once(
            uow,
            "scheduleServiceJob",
            input.idempotency_key,
            data,
            lambda: service.schedule_service_job(uow, data),
            jobs_repo.get,
        )

    return _payload(await mutate(info, action))


def _job_id(value: strawberry.ID) -> uuid.UUID:
    return decode_id(value, "ServiceJob", "serviceJobId")


async def start_service_job(info: Info, input: ServiceJobActionInput) -> ServiceJobPayload:
    return _payload(
        await mutate(
            info, lambda uow: service.start_service_job(uow, _job_id(input.service_job_id), input.expected_version)
        )
    )


async def complete_service_job(info: Info, input: CompleteServiceJobInput) -> ServiceJobPayload:
    return _payload(
        await mutate(
            info,
            lambda uow: service.complete_service_job(
                uow, _job_id(input.service_job_id), input.expected_version, input.quality_result.value, input.notes
            ),
        )
    )


async def cancel_service_job(info: Info, input: ServiceJobActionInput) -> ServiceJobPayload:
    return _payload(
        await mutate(
            info, lambda uow: service.cancel_service_job(uow, _job_id(input.service_job_id), input.expected_version)
        )
    )


async def reassign_service_job(info: Info, input: ReassignServiceJobInput) -> ServiceJobPayload:
    return _payload(
        await mutate(
            info,
            lambda uow: service.reassign_service_job(
                uow,
                _job_id(input.service_job_id),
                input.expected_version,
                decode_id(input.technician_id, "User", "technicianId"),
            ),
        )
    )
