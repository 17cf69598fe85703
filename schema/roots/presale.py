"""Root fields of the pre-sale part (opportunities), sales targets and KPIs."""

from __future__ import annotations

import strawberry

from resolvers import kpis, presale
from schema.permissions import Allowed
from schema.types.common import Connection
from schema.types.kpis import KpiReport
from schema.types.presale import Opportunity, SalesTarget
from schema.types.presale_inputs import OpportunityPayload, SalesTargetPayload
from services.access import Action

READ = [Allowed(Action.READ)]
KPIS = [Allowed(Action.READ_KPIS)]  # people and reporting keys, not board keys
SALES = [Allowed(Action.SALES)]  # marketing: opportunities, requirements, solutions, registration, won/lost
SERVICE = [Allowed(Action.SERVICE_OPERATIONS)]  # service: review solutions, acknowledge registrations
TARGETS = [Allowed(Action.TARGETS_AND_SLA)]

# Types `node(id:)` resolves.
NODE_TYPES = [Opportunity, SalesTarget]


@strawberry.type
class PresaleQuery:
    opportunities: Connection[Opportunity] = strawberry.field(resolver=presale.opportunities, permission_classes=READ)
    sales_targets: Connection[SalesTarget] = strawberry.field(resolver=presale.sales_targets, permission_classes=KPIS)
    kpis: KpiReport = strawberry.field(resolver=kpis.kpis, permission_classes=KPIS)


@strawberry.type
class PresaleMutation:
    create_opportunity: OpportunityPayload = strawberry.mutation(
        resolver=presale.create_opportunity, permission_classes=SALES
    )
    record_requirements: OpportunityPayload = strawberry.mutation(
        resolver=presale.record_requirements, permission_classes=SALES
    )
    confirm_requirements: OpportunityPayload = strawberry.mutation(
        resolver=presale.confirm_requirements, permission_classes=SALES
    )
    submit_solution: OpportunityPayload = strawberry.mutation(
        resolver=presale.submit_solution, permission_classes=SALES
    )
    review_solution: OpportunityPayload = strawberry.mutation(
        resolver=presale.review_solution, permission_classes=SERVICE
    )
    register_project: OpportunityPayload = strawberry.mutation(
        resolver=presale.register_project, permission_classes=SALES
    )
    acknowledge_registration: OpportunityPayload = strawberry.mutation(
        resolver=presale.acknowledge_registration, permission_classes=SERVICE
    )
    mark_won: OpportunityPayload = strawberry.mutation(resolver=presale.mark_won, permission_classes=SALES)
    mark_lost: OpportunityPayload = strawberry.mutation(resolver=presale.mark_lost, permission_classes=SALES)
    set_sales_target: SalesTargetPayload = strawberry.mutation(
        resolver=presale.set_sales_target, permission_classes=TARGETS
    )


Query = PresaleQuery
Mutation = PresaleMutation
