"""Root fields of the pre-sale part: opportunities, from requirements to won or lost."""

from __future__ import annotations

from resolvers import presale as r
from schema.roots import mutations, queries
from schema.types.presale import Opportunity
from services.access import Action

SALES = Action.SALES  # marketing: opportunities, requirements, solutions, registration, won/lost
SERVICE = Action.SERVICE_OPERATIONS  # service: review solutions, acknowledge registrations

NODE_TYPES = [Opportunity]

Query = queries((Action.READ, r.opportunities))

# In the order of the opportunity's life, marketing and service taking turns.
Mutation = mutations(
    (SALES, r.create_opportunity, r.record_requirements, r.confirm_requirements, r.submit_solution),
    (SERVICE, r.review_solution),
    (SALES, r.register_project),
    (SERVICE, r.acknowledge_registration),
    (SALES, r.mark_won, r.mark_lost),
)
