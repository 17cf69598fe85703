"""Shared pieces of the order, service-job and feedback tests: documents, set-ups through the services
and "nothing changed" snapshots."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from db.models import User
from schema.ids import parse_global_id, to_global_id
from services import customers as customer_service
from services import order_transitions
from services import orders as order_service
from services import service_jobs as job_service
from services.auth import principal_of_user
from services.customers import NewCustomer
from services.orders import ItemData, NewOrder
from services.service_jobs import NewServiceJob
from services.unit_of_work import unit_of_work
from tests.support.database import all_rows, rows

ERRORS = "errors { code field message }"
ORDER = """
  id number status version deliveryDate specialRequirements contractValue returnReason
  handedOffAt confirmationDueAt confirmedAt createdAt
  customer { id name } owner { id name } handedOffBy { id } confirmedBy { id }
  items { productModel description quantity unitPrice }
  serviceJobs { id number status }
"""
JOB = """
  id number kind status version scheduledStart scheduledEnd completedAt qualityResult notes
  order { id status } customer { id } technician { id name }
"""
FEEDBACK = "id source score comment recordedAt customer { id } order { id } recordedBy { id }"

CREATE_ORDER = f"mutation($i: CreateOrderInput!) {{ createOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
UPDATE_ORDER = f"mutation($i: UpdateOrderInput!) {{ updateOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
HAND_OFF = f"mutation($i: OrderActionInput!) {{ handOffOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
CONFIRM = f"mutation($i: OrderActionInput!) {{ confirmOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
RETURN = f"mutation($i: OrderActionInput!) {{ returnOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
CANCEL = f"mutation($i: OrderActionInput!) {{ cancelOrder(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
ACCEPT = f"mutation($i: OrderActionInput!) {{ acceptOrderCompletion(input: $i) {{ order {{ {ORDER} }} {ERRORS} }} }}"
SCHEDULE = (
    f"mutation($i: ScheduleServiceJobInput!) {{ scheduleServiceJob(input: $i) {{ serviceJob {{ {JOB} }} {ERRORS} }} }}"
)
START = f"mutation($i: ServiceJobActionInput!) {{ startServiceJob(input: $i) {{ serviceJob {{ {JOB} }} {ERRORS} }} }}"
COMPLETE = (
    f"mutation($i: CompleteServiceJobInput!) {{ completeServiceJob(input: $i) {{ serviceJob {{ {JOB} }} {ERRORS} }} }}"
)
CANCEL_JOB = (
    f"mutation($i: ServiceJobActionInput!) {{ cancelServiceJob(input: $i) {{ serviceJob {{ {JOB} }} {ERRORS} }} }}"
)
REASSIGN = (
    f"mutation($i: ReassignServiceJobInput!) {{ reassignServiceJob(input: $i) {{ serviceJob {{ {JOB} }} {ERRORS} }} }}"
)
RECORD = f"mutation($i: RecordFeedbackInput!) {{ recordFeedback(input: $i) {{ feedback {{ {FEEDBACK} }} {ERRORS} }} }}"
READ_ORDER = f"query($id: ID!) {{ node(id: $id) {{ ... on Order {{ {ORDER} }} }} }}"
READ_JOB = f"query($id: ID!) {{ node(id: $id) {{ ... on ServiceJob {{ {JOB} }} }} }}"

TABLES = ("orders", "order_items", "service_jobs", "feedback", "customers", "activity", "events", "idempotency_records")


def item(model: str = "TX-200 Press", quantity: int = 2, price: str | None = "5000.00", **extra) -> dict:
    return {"productModel": model, "quantity": quantity, "unitPrice": price, **extra}


def order_input(customer_gid: str, **overrides) -> dict:
    """A complete order (ready to hand off) unless overridden."""
    return {
        "customerId": customer_gid,
        "items": [item()],
        "contractValue": "10000.00",
        "deliveryDate": "2026-04-15",
        "specialRequirements": "Install on the 2nd floor",
        **overrides,
    }


async def new_customer(services, name: str = "Acme Ltd"):
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        return await customer_service.create_customer(uow, NewCustomer(name=name))


def gid(type_name: str, row_id: uuid.UUID) -> str:
    return to_global_id(type_name, row_id)


def raw_id(global_id: str) -> uuid.UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return uuid.UUID(parsed[1])


async def snapshot(services) -> dict[str, list]:
    """Every row of every table an order, job or feedback mutation could touch."""
    return await all_rows(services, TABLES)


async def event_types(services, entity_id: uuid.UUID | None = None) -> list[str]:
    """The business events in the log (of one entity), in order; personal notifications (a consequence,
    tested in tests/web/test_notifications.py) are left out."""
    where = "AND entity_id = :e" if entity_id else ""
    found = await rows(
        services, f"SELECT type FROM events WHERE type <> 'NOTIFICATION_CREATED' {where} ORDER BY id", e=entity_id
    )
    return [r[0] for r in found]


# ----------------------------------------------------------- set-ups through the services (fast)


class Workflow:
    """Drives orders and jobs through the services as real users, to put them in a wanted state."""

    def __init__(self, services, seller: User, servicer: User):
        self.services = services
        self.seller = principal_of_user(seller)
        self.servicer = principal_of_user(servicer)

    async def run(self, principal, action):
        async with unit_of_work(self.services.db.sessions, principal, self.services.clock) as uow:
            return await action(uow)

    async def order(
        self, customer_id: uuid.UUID, *, status: str = "DRAFT", technician_id: uuid.UUID | None = None, items: int = 1
    ):
        """An order in `status`; IN_SERVICE / COMPLETED orders have one job (started / completed)."""
        data = NewOrder(
            customer_id=customer_id,
            contract_value=Decimal("10000.00"),
            delivery_date="2026-04-15",
            items=[
                ItemData(product_model=f"TX-{i}", quantity=i + 1, unit_price=Decimal("100.00")) for i in range(items)
            ],
        )
        order = await self.run(self.seller, lambda uow: order_service.create_order(uow, data))
        if status == "CANCELLED":
            return await self.run(self.seller, lambda uow: order_service.cancel_order(uow, order.id, None, None))
        if status == "DRAFT":
            return order
        order = await self.run(self.seller, lambda uow: order_service.hand_off_order(uow, order.id, None))
        if status == "HANDED_OFF":
            return order
        if status == "RETURNED":
            return await self.run(
                self.servicer, lambda uow: order_service.return_order(uow, order.id, None, "wrong qty")
            )
        order = await self.run(self.servicer, lambda uow: order_service.confirm_order(uow, order.id, None))
        if status == "CONFIRMED":
            return order
        job = await self.job(order.id, technician_id=technician_id)
        await self.run(self.servicer, lambda uow: job_service.start_service_job(uow, job.id, None))
        if status == "COMPLETED":
            await self.run(self.servicer, lambda uow: job_service.complete_service_job(uow, job.id, None, "PASSED"))
        return await self.run(self.servicer, lambda uow: order_transitions.locked_order(uow, order.id))

    async def job(
        self,
        order_id: uuid.UUID | None = None,
        *,
        customer_id: uuid.UUID | None = None,
        technician_id: uuid.UUID | None = None,
        status: str = "SCHEDULED",
        kind: str = "INSTALLATION",
    ):
        start = self.services.clock.now() + timedelta(days=1)
        data = NewServiceJob(
            kind=kind,
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=4),
            order_id=order_id,
            customer_id=customer_id,
            technician_id=technician_id,
        )
        job = await self.run(self.servicer, lambda uow: job_service.schedule_service_job(uow, data))
        if status == "CANCELLED":
            return await self.run(self.servicer, lambda uow: job_service.cancel_service_job(uow, job.id, None))
        if status in ("IN_PROGRESS", "COMPLETED"):
            job = await self.run(self.servicer, lambda uow: job_service.start_service_job(uow, job.id, None))
        if status == "COMPLETED":
            job = await self.run(
                self.servicer, lambda uow: job_service.complete_service_job(uow, job.id, None, "PASSED")
            )
        return job
