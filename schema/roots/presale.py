"""Root fields of the pre-sale part: opportunities, from requirements to won or lost."""

from __future__ import annotations

import strawberry

from resolvers import presale as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.presale import Opportunity
from schema.types.presale_inputs import OpportunityPayload
from services.access import Action

SALES = Action.SALES  # marketing: opportunities, requirements, solutions, registration, won/lost
SERVICE = Action.SERVICE_OPERATIONS  # service: review solutions, acknowledge registrations

NODE_TYPES = [Opportunity]


@strawberry.type
class Query:
    opportunities: Connection[Opportunity] = query(r.opportunities, Action.READ)


@strawberry.type
class Mutation:
    create_opportunity: OpportunityPayload = mutation(r.create_opportunity, SALES)
    record_requirements: OpportunityPayload = mutation(r.record_requirements, SALES)
    confirm_requirements: OpportunityPayload = mutation(r.confirm_requirements, SALES)
    submit_solution: OpportunityPayload = mutation(r.submit_solution, SALES)
    review_solution: OpportunityPayload = mutation(r.review_solution, SERVICE)
    register_project: OpportunityPayload = mutation(r.register_project, SALES)
    acknowledge_registration: OpportunityPayload = mutation(r.acknowledge_registration, SERVICE)
    mark_won: OpportunityPayload = mutation(r.mark_won, SALES)
    mark_lost: OpportunityPayload = mutation(r.mark_lost, SALES)
