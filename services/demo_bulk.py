"""Demo data at scale (`seed-demo --customers N --bulk`, automatic above BULK_THRESHOLD customers).

The small demo (services/demo.py) plays 90 days through the real services, one unit of work per step:
right for a first look at timelines and events, but about 0.3 s per customer. For benchmarks and the
problem-analysis reports 12 months of history are needed (5,000 customers → ~105,000 tickets), so the
bulk mode writes rows set-wise in one transaction (db/repositories/demo_bulk.py, INSERT … SELECT
generate_series), in the same proportions for any N:

- customers with regions, industries and lifecycle stages (1 in 20 a lead, 1 in 20 a prospect, without
  orders), 1–3 contacts each; 15 % joined during the year;
- ~5.5 orders per customer with 1–3 items of the demo's product models, in every status, and their
  service jobs (installation, training; standalone maintenance, repair, inspection, commissioning) in
  every status, quality checks passed or failed;
- ~23 tickets per ordering customer in every kind, priority and status, due times from the
  `sla_policies` rows by the rule of services/sla.py `due_times`, about one in six responded to or
  resolved late, root causes by kind, an open escalation for each ESCALATED ticket, and a backlog
  of open tickets from the last two weeks;
- feedback on resolved tickets, completed jobs and completed orders (return visits), monthly
  satisfaction surveys (closed, the current one open, next month's a draft) answered by a share of
  their targets; action items from low scores, surveys, defect reviews and monthly supervision, in
  every status; monthly sales targets near what was sold.

What it does not record, because one row per step of 200,000 items would cost more than all of the
rest: activity rows exist for every customer's creation and, for a sample of one customer in ten, for
every step of their orders, jobs, tickets, feedback and action items (their timelines look like the
small demo's); the others' timelines are empty. Events exist only for order handoffs and answers after
the event horizon (services/demo_events.py), which the marketing collaboration KPI reads; nothing
older is in the log, so the retention job purges nothing and that KPI is measured from the horizon on.
No comments, meetings, opportunities, market intel or notifications: the small demo shows those.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import User
from db.repositories import demo_bulk as repo
from services.demo_orders import _COMMENTS, _FAILED_NOTES, _PRODUCTS, _RETURN_REASONS
from services.demo_people import sellers

log = logging.getLogger("tandem.demo")

# Above this many customers `seed-demo` writes set-wise unless told otherwise (--bulk / --no-bulk):
# the service-driven demo takes about a minute for 200.
BULK_THRESHOLD = 200
HISTORY = timedelta(days=365)
SEED = 0.2026  # setseed(): the same data for the same N and instant

_TOPICS = [
    "machine stops during the cycle",
    "spare part delivery date",
    "operator training request",
    "noise at high speed",
    "controller software update",
    "manual missing for the new model",
    "installation slot",
    "pressure drops after warm-up",
    "invoice does not match the order",
    "leak at the coolant line",
]
_RESOLUTIONS = [
    "Replaced the faulty part on site",
    "Explained the operation; customer confirmed",
    "Sent the missing documentation",
    "Rescheduled the delivery with the carrier",
    "Adjusted the settings remotely",
]
_OUTCOMES = [
    "Checklist updated and the team briefed",
    "Supplier changed for the part",
    "Installation guide corrected",
    "Extra training session held",
]
_FIRST = ["Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Anna", "Ben", "Kenji", "Lena"]
_LAST = ["Wei", "Fang", "Min", "Jing", "Lei", "Schmidt", "Silva", "Novak", "Kim", "Tanaka"]
_TITLES = ["Purchasing Manager", "Plant Engineer", "Facility Manager", "CTO", "Operations Lead", "Buyer"]


def use_bulk(customers: int, bulk: bool | None) -> bool:
    """Whether `seed-demo` writes set-wise: as asked, else above BULK_THRESHOLD customers."""
    return customers > BULK_THRESHOLD if bulk is None else bulk


def _params(
    now: datetime, customers: int, users: dict[str, User], horizon: datetime, names: dict[str, list[str]]
) -> dict[str, object]:
    by_email = {u.email: u.id for u in users.values()}
    service = [by_email[e] for e in ("service.lead@tandem.example", "service@tandem.example")]
    technicians = [by_email[e] for e in ("technician@tandem.example", "technician2@tandem.example")]
    return {
        "seed": SEED,
        "now": now,
        "start": now - HISTORY,
        "horizon": horizon,
        "customers": customers,
        "sellers": [u.id for u in sellers(users)],
        "service": service + technicians,
        "technicians": technicians,
        "supervisor": by_email["supervisor@tandem.example"],
        "lead_service": by_email["service.lead@tandem.example"],
        "lead_marketing": by_email["marketing.lead@tandem.example"],
        "products": [name for name, _ in _PRODUCTS],
        "prices": [price for _, price in _PRODUCTS],
        "return_reasons": _RETURN_REASONS,
        "failed_notes": _FAILED_NOTES,
        "comments": [_COMMENTS[score] for score in sorted(_COMMENTS)],
        "topics": _TOPICS,
        "resolutions": _RESOLUTIONS,
        "outcomes": _OUTCOMES,
        "first": _FIRST,
        "last": _LAST,
        "titles": _TITLES,
        **names,
    }


async def seed_bulk(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    users: dict[str, User],
    *,
    customers: int,
    horizon: datetime,
    names: dict[str, list[str]],
) -> dict[str, int]:
    """Write 12 months of history for `customers` customers ending at `now`, in one transaction (all
    or nothing); the rows per table afterwards. `names`: the vocabularies of services/demo.py
    (prefixes, suffixes, industries, regions)."""
    began = time.monotonic()

    def step(name: str) -> None:
        log.info("bulk demo: %s written after %.1f s", name, time.monotonic() - began)

    async with sessions() as session, session.begin():
        await repo.seed(session, _params(now, customers, users, horizon, names), step)
    async with sessions() as session:
        # Fresh statistics: without them (autovacuum may be off, or not yet run) the planner guesses a
        # 100,000-ticket table is small and a 12-month KPI series took 5 s instead of 0.2 s.
        await repo.analyze(session)
        rows = await repo.counts(session)
    log.info("bulk demo: %.1f s; rows: %s", time.monotonic() - began, ", ".join(f"{t} {n}" for t, n in rows.items()))
    return rows
