"""Service jobs (in-sale service start): ServiceJob and the enums of service jobs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models import ServiceJob as ServiceJobRow
from schema.context import Info
from schema.loaders import load_one, node_resolver
from schema.types.accounts import User
from schema.types.customers import Customer, customer_field
from schema.types.orders import Order, order_field
from services.rules.service_jobs import QualityResult, ServiceJobKind, ServiceJobStatus

__all__ = ["QualityResult", "ServiceJob", "ServiceJobKind", "ServiceJobStatus"]


@strawberry.type
class ServiceJob(relay.Node):
    id: relay.NodeID[str]
    number: str
    kind: ServiceJobKind
    status: ServiceJobStatus
    scheduled_start: datetime
    scheduled_end: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    quality_result: QualityResult | None
    notes: str | None
    version: int
    _row: strawberry.Private[ServiceJobRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.service_jobs)  # node(id:)
    order: Order | None = order_field()
    customer: Customer = customer_field()

    @strawberry.field
    async def technician(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.technician_id, User.from_row)

    @classmethod
    def from_row(cls, row: ServiceJobRow) -> ServiceJob:
        return cls(
            id=str(row.id),
            number=row.number,
            kind=ServiceJobKind(row.kind),
            status=ServiceJobStatus(row.status),
            scheduled_start=row.scheduled_start,
            scheduled_end=row.scheduled_end,
            started_at=row.started_at,
            completed_at=row.completed_at,
            cancelled_at=row.cancelled_at,
            quality_result=QualityResult(row.quality_result) if row.quality_result else None,
            notes=row.notes,
            version=row.version,
            _row=row,
        )
