"""Root fields of problem analysis and trends: whoever may read the KPIs (people and reporting keys, not
board keys; DOMAIN.md part 2)."""

from __future__ import annotations

from resolvers import reports as r
from schema.roots import described, queries
from services.access import Action

Query = queries(
    (
        Action.READ_KPIS,
        described(
            r.problem_analysis,
            "Tickets created in the period [from, to) that match the filter, grouped by a dimension, beside the "
            "previous period of the same length (ending at `from`).",
        ),
        described(
            r.kpi_series,
            "The `kpis` report per day, ISO week or month of the company's time zone (TANDEM_TIME_ZONE), the "
            "first and last buckets clipped to the period; at most 400 buckets.",
        ),
        described(r.satisfaction, "Feedback scores recorded in the period, of every customer or of one."),
    )
)
