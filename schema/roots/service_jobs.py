"""Root fields of service jobs (in-sale service start): service only."""

from __future__ import annotations

import strawberry

from resolvers import service_jobs as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.service_jobs import ServiceJob
from schema.types.service_jobs_inputs import ServiceJobPayload
from services.access import Action

SERVICE = Action.SERVICE_OPERATIONS

NODE_TYPES = [ServiceJob]


@strawberry.type
class Query:
    service_jobs: Connection[ServiceJob] = query(r.service_jobs, Action.READ)


@strawberry.type
class Mutation:
    schedule_service_job: ServiceJobPayload = mutation(r.schedule_service_job, SERVICE)
    start_service_job: ServiceJobPayload = mutation(r.start_service_job, SERVICE)
    complete_service_job: ServiceJobPayload = mutation(r.complete_service_job, SERVICE)
    cancel_service_job: ServiceJobPayload = mutation(r.cancel_service_job, SERVICE)
    reassign_service_job: ServiceJobPayload = mutation(r.reassign_service_job, SERVICE)
