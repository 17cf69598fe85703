"""In-sale 2 — service start: service schedules and carries out jobs (installation, commissioning, ...).

A job's life is ONE explicit table (`TRANSITIONS`). Jobs move their order: the first job that starts
puts a CONFIRMED order IN_SERVICE; when every non-cancelled job of an order is completed (at least
one), the order is COMPLETED. Locks are always taken order first, then job, so concurrent job and
order actions queue instead of deadlocking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.models import Order, ServiceJob, User
from db.repositories import accounts as accounts_repo
from db.repositories import orders as orders_repo
from db.repositories import rows
from db.repositories import service_jobs as jobs_repo
from services import notifications, order_transitions
from services.errors import DomainError, ErrorCode, check_version, not_found
from services.i18n import T
from services.linked_records import existing_customer
from services.rules.notifications import NotificationKind
from services.rules.service_jobs import QUALITY_RESULTS, SCHEDULABLE_ORDER_STATUSES, SERVICE_JOB_KINDS
from services.state_machine import StateMachine, enter, steps
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

# (current status, action) -> next status. Nothing else is allowed. The statuses and actions are
# services/rules/service_jobs.py's; `steps` writes an action taken in several statuses, or keeping the status.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("SCHEDULED", "start"): "IN_PROGRESS",
    ("IN_PROGRESS", "complete"): "COMPLETED",
    **steps("cancel", "SCHEDULED", "IN_PROGRESS", to="CANCELLED"),
    **steps("reassign", "SCHEDULED", "IN_PROGRESS"),
}
JOBS = StateMachine("a service job", "serviceJobId", TRANSITIONS)
next_status = JOBS.next


@dataclass
class NewServiceJob:
    kind: str
    scheduled_start: datetime
    order_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    scheduled_end: datetime | None = None
    notes: str | None = None


async def schedule_service_job(uow: UnitOfWork, data: NewServiceJob) -> ServiceJob:
    v = Validator()
    v.require(data.kind in SERVICE_JOB_KINDS, "unknown service job kind", "kind")
    v.require(
        data.order_id is not None or data.customer_id is not None, "an order or a customer is required", "orderId"
    )
    v.require(
        data.scheduled_end is None or data.scheduled_end > data.scheduled_start,
        "the scheduled end must be after the scheduled start",
        "scheduledEnd",
    )
    notes = v.text(data.notes, "notes", "notes", max_len=4000)
    v.raise_if_any()
    order: Order | None = None
    if data.order_id is not None:
        order = await order_transitions.locked_order(uow, data.order_id, "orderId")
        if order.status not in SCHEDULABLE_ORDER_STATUSES:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                T(
                    "service jobs can be scheduled only for a confirmed order (this one is {status})",
                    status=order.status,
                ),
                ["orderId"],
            )
        if data.customer_id is not None and data.customer_id != order.customer_id:
            raise DomainError(ErrorCode.VALIDATION, "the order belongs to another customer", ["customerId"])
        customer_id = order.customer_id
    else:
        assert data.customer_id is not None
        customer_id = (await existing_customer(uow, data.customer_id)).id
    if data.technician_id is not None:
        await _check_technician(uow, data.technician_id)
    job = ServiceJob(
        id=uuid.uuid4(),
        order_id=order.id if order else None,
        customer_id=customer_id,
        kind=data.kind,
        status="SCHEDULED",
        technician_id=data.technician_id,
        scheduled_start=data.scheduled_start,
        scheduled_end=data.scheduled_end,
        notes=notes,
    )
    await jobs_repo.add(uow.session, job, uow.now)
    where = f" for order {order.number}" if order else ""
    uow.record_about(
        _subject(job),
        "service_job.scheduled",
        f"Service job {job.number} ({job.kind.lower()}) scheduled{where}",
        "SERVICE_JOB_SCHEDULED",
        changes={"scheduledStart": job.scheduled_start, "technicianId": job.technician_id},
        payload={"kind": job.kind, "scheduledStart": job.scheduled_start},
    )
    await _tell_technician(uow, job, where)
    return job


async def start_service_job(uow: UnitOfWork, job_id: uuid.UUID, expected_version: int | None) -> ServiceJob:
    order, job = await _locked(uow, job_id, expected_version)
    changes = _move(uow, job, next_status(job.status, "start"))
    job.started_at = uow.now
    uow.record_about(
        _subject(job),
        "service_job.started",
        f"Service job {job.number} started",
        "SERVICE_JOB_STARTED",
        changes=changes,
    )
    if order is not None and order.status != "IN_SERVICE":
        await order_transitions.start_service(uow, order)  # refuses (and rolls back) for any other order state
    return job


async def complete_service_job(
    uow: UnitOfWork, job_id: uuid.UUID, expected_version: int | None, quality_result: str, notes: str | None = None
) -> ServiceJob:
    order, job = await _locked(uow, job_id, expected_version)
    status = next_status(job.status, "complete")
    v = Validator()
    v.require(
        quality_result in QUALITY_RESULTS,
        T("quality result must be {choices}", choices=" or ".join(QUALITY_RESULTS)),
        "qualityResult",
    )
    clean = v.text(notes, "notes", "notes", max_len=4000)
    v.raise_if_any()
    changes = _move(uow, job, status)
    job.completed_at = uow.now
    job.quality_result = quality_result
    if clean is not None:
        job.notes = clean
    uow.record_about(
        _subject(job),
        "service_job.completed",
        f"Service job {job.number} completed, quality check {quality_result.lower()}",
        "SERVICE_JOB_COMPLETED",
        changes={**changes, "qualityResult": quality_result},
        payload={"qualityResult": quality_result},
    )
    await _complete_order_if_done(uow, order)
    return job


async def cancel_service_job(uow: UnitOfWork, job_id: uuid.UUID, expected_version: int | None) -> ServiceJob:
    order, job = await _locked(uow, job_id, expected_version)
    _cancel(uow, job, next_status(job.status, "cancel"))
    await _complete_order_if_done(uow, order)
    return job


async def reassign_service_job(
    uow: UnitOfWork, job_id: uuid.UUID, expected_version: int | None, technician_id: uuid.UUID
) -> ServiceJob:
    _, job = await _locked(uow, job_id, expected_version)
    next_status(job.status, "reassign")
    technician = await _check_technician(uow, technician_id)
    if job.technician_id == technician_id:
        return job
    previous, job.technician_id = job.technician_id, technician_id
    rows.touch(job, uow.now)
    uow.record_about(
        _subject(job),
        "service_job.reassigned",
        f"Service job {job.number} assigned to {technician.name}",
        "SERVICE_JOB_UPDATED",
        changes={"technicianId": [previous, technician_id]},
        payload={"fields": ["technician"], "technicianId": technician_id},
    )
    await _tell_technician(uow, job)
    return job


async def _tell_technician(uow: UnitOfWork, job: ServiceJob, where: str = "") -> None:
    when = f"{job.scheduled_start:%Y-%m-%d %H:%M}" if job.scheduled_start else "unscheduled"
    title = f"Service job {job.number} ({job.kind.lower()}){where} assigned to you, {when} UTC"
    await notifications.notify(uow, [job.technician_id], NotificationKind.ASSIGNED, title, "ServiceJob", job.id)


async def cancel_open_jobs_of(uow: UnitOfWork, order: Order) -> None:
    """The order was cancelled (and is locked): its scheduled and running jobs are cancelled with it."""
    for job in await jobs_repo.of_orders(uow.session, [order.id], for_update=True):
        if (job.status, "cancel") in TRANSITIONS:
            _cancel(uow, job, TRANSITIONS[(job.status, "cancel")], because=f" with order {order.number}")


def _cancel(uow: UnitOfWork, job: ServiceJob, status: str, because: str = "") -> None:
    changes = _move(uow, job, status)
    job.cancelled_at = uow.now
    uow.record_about(
        _subject(job),
        "service_job.cancelled",
        f"Service job {job.number} cancelled{because}",
        "SERVICE_JOB_CANCELLED",
        changes=changes,
    )


async def accept_order_completion(
    uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, reason: str | None
) -> Order:
    """A service lead (or an admin) accepts an order whose last quality check failed as complete, with the
    reason: the customer signed it off, the fault is outside the delivery. Only for an order in service
    whose jobs are all done and whose last check failed (otherwise it completes, or will, by itself)."""
    actor = uow.actor
    if actor is None or not (actor.role == "ADMIN" or (actor.role == "LEAD" and actor.department == "SERVICE")):
        raise DomainError(ErrorCode.FORBIDDEN, "only a service lead or an admin may accept an order", ["orderId"])
    clean = Validator()
    why = clean.text(reason, "a reason", "reason", required=True, max_len=4000)
    clean.raise_if_any()
    order = await order_transitions.order_to_change(uow, order_id, expected_version)
    jobs = [j for j in await jobs_repo.of_orders(uow.session, [order.id], for_update=True) if j.status != "CANCELLED"]
    if order.status != "IN_SERVICE" or not jobs or any(j.status != "COMPLETED" for j in jobs) or _passed(jobs):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "only an order in service whose jobs are done and whose last quality check failed can be accepted",
            ["orderId"],
        )
    uow.record_about(
        order_transitions.subject(order),
        "order.accepted",
        f"Order {order.number} accepted as complete despite a failed quality check: {why}",
        changes={"reason": why},
    )
    await order_transitions.complete(uow, order)
    return order


def _passed(jobs: list[ServiceJob]) -> bool:
    """Whether the order's latest quality check (its last completed job's) passed: a failed check keeps
    the order in service until a rework job passes or a service lead accepts it."""
    last = max(jobs, key=lambda j: (j.completed_at or j.updated_at, j.number))
    return last.quality_result == "PASSED"


async def _complete_order_if_done(uow: UnitOfWork, order: Order | None) -> None:
    if order is None or order.status != "IN_SERVICE":
        return
    await uow.session.flush()
    jobs = [j for j in await jobs_repo.of_orders(uow.session, [order.id]) if j.status != "CANCELLED"]
    if jobs and all(j.status == "COMPLETED" for j in jobs) and _passed(jobs):
        await order_transitions.complete(uow, order)


async def _locked(uow: UnitOfWork, job_id: uuid.UUID, expected_version: int | None) -> tuple[Order | None, ServiceJob]:
    """Lock the job's order (if any), then the job: the same order as order actions take."""
    job = await jobs_repo.get(uow.session, job_id)
    if job is None:
        raise not_found("service job", "serviceJobId")
    order = await orders_repo.get(uow.session, job.order_id, for_update=True) if job.order_id else None
    job = await jobs_repo.get(uow.session, job_id, for_update=True)
    assert job is not None  # jobs are never deleted
    check_version("service job", expected_version, job.version)
    return order, job


async def _check_technician(uow: UnitOfWork, technician_id: uuid.UUID) -> User:
    user = await accounts_repo.user_by_id(uow.session, technician_id)
    if user is None or not user.active or user.department != "SERVICE":
        raise DomainError(
            ErrorCode.VALIDATION, "the technician must be an active member of the service department", ["technicianId"]
        )
    return user


def _move(uow: UnitOfWork, job: ServiceJob, status: str) -> dict[str, Any]:
    """Put the job in `status` (from `next_status`), changed now; the change of status, for the audit row."""
    return enter(job, status, uow.now)


def _subject(job: ServiceJob) -> Subject:
    """What the activity rows and events about a job name: it, its customer and order, its status."""
    return Subject("ServiceJob", job.id, job.customer_id, job.order_id, {"status": job.status, "number": job.number})
