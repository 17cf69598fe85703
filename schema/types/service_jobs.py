"""Service jobs (in-sale service start): ServiceJob and the enums of service jobs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models import ServiceJob as ServiceJobRow
from db.repositories import activity as activity_repo
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.comments import CommentConnection, comments_of
from schema.types.common import Connection, FromRow, required, to_one, visible_page
from schema.types.customers import Activity, Customer
from schema.types.orders import Order
from services.rules.service_jobs import QualityResult, ServiceJobKind, ServiceJobStatus

__all__ = ["QualityResult", "ServiceJob", "ServiceJobKind", "ServiceJobStatus"]


@strawberry.type
class ServiceJob(relay.Node, FromRow[ServiceJobRow]):
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
    order: Order | None = to_one("orders", "order_id", lambda: Order)
    customer: Customer = required("customers", "customer_id", lambda: Customer)
    technician: User | None = to_one("users", "technician_id", lambda: User)
    comments: CommentConnection = comments_of("ServiceJob")
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.service_job_timeline,
        lambda: Activity,
        description="What happened to this service job, oldest first.",
    )
    _row: strawberry.Private[ServiceJobRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.service_jobs)  # node(id:)
