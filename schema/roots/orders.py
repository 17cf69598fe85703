"""Root fields of the in-sale part (orders, service jobs) and of feedback."""

from __future__ import annotations

import strawberry

from resolvers import feedback, orders, service_jobs
from schema.permissions import Allowed
from schema.types.common import Connection
from schema.types.feedback import Feedback, FeedbackPayload
from schema.types.orders import Order, ServiceJob
from schema.types.orders_inputs import OrderPayload, ServiceJobPayload
from services.access import Action

READ = [Allowed(Action.READ)]
SALES = [Allowed(Action.SALES)]  # create, update, hand off, cancel orders
SERVICE = [Allowed(Action.SERVICE_OPERATIONS)]  # confirm / return orders, service jobs
PARTICIPATE = [Allowed(Action.TICKET_PARTICIPATE)]  # record feedback

# Types `node(id:)` resolves.
NODE_TYPES = [Order, ServiceJob, Feedback]


@strawberry.type
class OrdersQuery:
    orders: Connection[Order] = strawberry.field(resolver=orders.orders, permission_classes=READ)
    service_jobs: Connection[ServiceJob] = strawberry.field(resolver=service_jobs.service_jobs, permission_classes=READ)
    feedback: Connection[Feedback] = strawberry.field(resolver=feedback.feedback, permission_classes=READ)


@strawberry.type
class OrdersMutation:
    create_order: OrderPayload = strawberry.mutation(resolver=orders.create_order, permission_classes=SALES)
    update_order: OrderPayload = strawberry.mutation(resolver=orders.update_order, permission_classes=SALES)
    hand_off_order: OrderPayload = strawberry.mutation(resolver=orders.hand_off_order, permission_classes=SALES)
    cancel_order: OrderPayload = strawberry.mutation(resolver=orders.cancel_order, permission_classes=SALES)
    confirm_order: OrderPayload = strawberry.mutation(resolver=orders.confirm_order, permission_classes=SERVICE)
    return_order: OrderPayload = strawberry.mutation(resolver=orders.return_order, permission_classes=SERVICE)
    schedule_service_job: ServiceJobPayload = strawberry.mutation(
        resolver=service_jobs.schedule_service_job, permission_classes=SERVICE
    )
    start_service_job: ServiceJobPayload = strawberry.mutation(
        resolver=service_jobs.start_service_job, permission_classes=SERVICE
    )
    complete_service_job: ServiceJobPayload = strawberry.mutation(
        resolver=service_jobs.complete_service_job, permission_classes=SERVICE
    )
    cancel_service_job: ServiceJobPayload = strawberry.mutation(
        resolver=service_jobs.cancel_service_job, permission_classes=SERVICE
    )
    reassign_service_job: ServiceJobPayload = strawberry.mutation(
        resolver=service_jobs.reassign_service_job, permission_classes=SERVICE
    )
    record_feedback: FeedbackPayload = strawberry.mutation(
        resolver=feedback.record_feedback, permission_classes=PARTICIPATE
    )


Query = OrdersQuery
Mutation = OrdersMutation
