"""Root fields of service jobs (in-sale service start): service only."""

from __future__ import annotations

from resolvers import service_jobs as r
from schema.roots import mutations, queries
from schema.types.service_jobs import ServiceJob
from services.access import Action

NODE_TYPES = [ServiceJob]

Query = queries((Action.READ, r.service_jobs))

Mutation = mutations(
    (
        Action.SERVICE_OPERATIONS,
        r.schedule_service_job,
        r.start_service_job,
        r.complete_service_job,
        r.cancel_service_job,
        r.reassign_service_job,
    ),
)
