"""Root field `kpis`: people and reporting keys, not board keys."""

from __future__ import annotations

import strawberry

from resolvers import kpis as r
from schema.roots import query
from schema.types.kpis import KpiReport
from services.access import Action


@strawberry.type
class Query:
    kpis: KpiReport = query(r.kpis, Action.READ_KPIS)
