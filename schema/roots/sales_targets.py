"""Root fields of sales targets: read with the KPIs, set by whoever sets targets and SLAs."""

from __future__ import annotations

from resolvers import sales_targets as r
from schema.roots import mutations, queries
from schema.types.sales_targets import SalesTarget
from services.access import Action

NODE_TYPES = [SalesTarget]

Query = queries((Action.READ_KPIS, r.sales_targets))

Mutation = mutations((Action.TARGETS_AND_SLA, r.set_sales_target))
