"""Root field `kpis`: people and reporting keys, not board keys."""

from __future__ import annotations

from resolvers import kpis as r
from schema.roots import queries
from services.access import Action

Query = queries((Action.READ_KPIS, r.kpis))
