"""Root fields of sales targets: read with the KPIs, set by whoever sets targets and SLAs."""

from __future__ import annotations

import strawberry

from resolvers import sales_targets as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.sales_targets import SalesTarget
from schema.types.sales_targets_inputs import SalesTargetPayload
from services.access import Action

NODE_TYPES = [SalesTarget]


@strawberry.type
class Query:
    sales_targets: Connection[SalesTarget] = query(r.sales_targets, Action.READ_KPIS)


@strawberry.type
class Mutation:
    set_sales_target: SalesTargetPayload = mutation(r.set_sales_target, Action.TARGETS_AND_SLA)
