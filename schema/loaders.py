"""Per-request DataLoaders: one typed loader per relation, one batched statement per relation however
many objects of a page ask.

`DataLoaders.for_request(reads)` builds them all for one request (and anew after a mutation commits, so
later reads see the change); they run in the request's ReadScope (one snapshot). Keys are the rows' own
ids (uuid, or the activity's number); a loader yields db model rows, the GraphQL types convert them.
A type declares a relation in one line with the field factories of schema/types/common.py, which name
the loader:

    owner: User | None = to_one("users", "owner_id", lambda: User)                  # nullable relation
    customer: Customer = required("customers", "customer_id", lambda: Customer)     # non-null relation
    items: list[OrderItem] = to_many("items_by_order", lambda: OrderItem)           # the rows of self._row.id
    resolve_nodes = node_resolver(lambda loaders: loaders.orders)                   # node(id:)

and a resolver with a rule of its own calls `load_one`, `load_required` or `load_list` itself:

    await load_required(info.context.loaders.users, principal.id, User.from_row)  # the caller (`me`)

Adding a relation = one field in `DataLoaders` and one line in `for_request`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from db.models import (
    ActionItem,
    Activity,
    ApiKey,
    Contact,
    Customer,
    Escalation,
    Feedback,
    MarketIntel,
    Meeting,
    Opportunity,
    Order,
    OrderItem,
    Requirement,
    RootCauseCategory,
    SalesTarget,
    ServiceJob,
    Solution,
    Survey,
    Ticket,
    TicketComment,
    User,
)
from db.repositories import accounts as accounts_repo
from db.repositories import action_items as action_items_repo
from db.repositories import activity as activity_repo
from db.repositories import customers as customers_repo
from db.repositories import feedback as feedback_repo
from db.repositories import market_intel as market_intel_repo
from db.repositories import meetings as meetings_repo
from db.repositories import opportunities as opportunities_repo
from db.repositories import orders as orders_repo
from db.repositories import sales_targets as targets_repo
from db.repositories import service_jobs as jobs_repo
from db.repositories import sla_alerts as sla_alerts_repo
from db.repositories import surveys as surveys_repo
from db.repositories import tickets as tickets_repo
from db.repositories.feedback import Satisfaction
from db.repositories.surveys import SurveyStats
from services import sla

if TYPE_CHECKING:
    from schema.context import ReadScope

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
V = TypeVar("V")
T = TypeVar("T")

Fetch = Callable[[AsyncSession, list[K]], Awaitable[Sequence[R]]]


class _Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


RowT = TypeVar("RowT", bound=_Identified)


def _same(row: R) -> R:
    return row


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose answers may be awaited by several fields at once.

    `load` hands every field asking for a key the same future. When one field of an object fails,
    graphql-core cancels the object's other fields, and cancelling a task cancels the future it
    awaits: the shared one, so every other field waiting on that key (elsewhere in the response)
    got a CancelledError and the whole request crashed. Shielded, a cancellation stays with the
    field that was cancelled."""

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


def _rows(
    reads: ReadScope, fetch: Fetch[K, R], key: Callable[[R], K], value: Callable[[R], V]
) -> DataLoader[K, V | None]:
    """At most one row per key (None when there is none), all keys of a batch in one statement."""

    async def load(keys: list[K]) -> list[V | None]:
        rows = await reads.run(lambda session: fetch(session, keys))
        found = {key(row): value(row) for row in rows}
        return [found.get(k) for k in keys]

    return SharedLoader(load_fn=load)


def _by_id(reads: ReadScope, fetch: Fetch[uuid.UUID, RowT]) -> DataLoader[uuid.UUID, RowT | None]:
    return _rows(reads, fetch, lambda row: row.id, _same)


def _groups(
    reads: ReadScope, fetch: Fetch[K, R], key: Callable[[R], K | None], value: Callable[[R], V]
) -> DataLoader[K, list[V]]:
    """Rows grouped by a parent key (e.g. items by order), in the repository's order, one statement.
    (`key` is a nullable column, e.g. a job's order: the rows fetched for some parents all have one.)"""

    async def load(keys: list[K]) -> list[list[V]]:
        rows = await reads.run(lambda session: fetch(session, keys))
        groups: dict[K | None, list[V]] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(value(row))
        return [groups.get(k, []) for k in keys]

    return SharedLoader(load_fn=load)


@dataclass(frozen=True)
class DataLoaders:
    """Every relation the schema resolves, typed with the rows it yields."""

    # accounts
    users: DataLoader[uuid.UUID, User | None]
    api_keys: DataLoader[uuid.UUID, ApiKey | None]
    # customers and the timeline
    customers: DataLoader[uuid.UUID, Customer | None]
    contacts: DataLoader[uuid.UUID, Contact | None]
    contacts_by_customer: DataLoader[uuid.UUID, list[Contact]]
    activities: DataLoader[int, Activity | None]
    # orders and service jobs
    orders: DataLoader[uuid.UUID, Order | None]
    items_by_order: DataLoader[uuid.UUID, list[OrderItem]]
    service_jobs: DataLoader[uuid.UUID, ServiceJob | None]
    service_jobs_by_order: DataLoader[uuid.UUID, list[ServiceJob]]
    # feedback
    feedback: DataLoader[uuid.UUID, Feedback | None]
    satisfaction_by_customer: DataLoader[uuid.UUID, Satisfaction | None]
    # tickets and joint consultations
    tickets: DataLoader[uuid.UUID, Ticket | None]
    root_cause_by_ticket: DataLoader[uuid.UUID, RootCauseCategory | None]
    escalations: DataLoader[uuid.UUID, Escalation | None]
    escalation_by_ticket: DataLoader[uuid.UUID, Escalation | None]  # the open one, else the latest
    participants_by_escalation: DataLoader[uuid.UUID, list[User]]
    notes_by_escalation: DataLoader[uuid.UUID, list[TicketComment]]
    customer_update_due_by_escalation: DataLoader[uuid.UUID, datetime | None]
    # pre-sale and sales targets
    opportunities: DataLoader[uuid.UUID, Opportunity | None]
    requirements_by_opportunity: DataLoader[uuid.UUID, list[Requirement]]
    solutions_by_opportunity: DataLoader[uuid.UUID, list[Solution]]
    sales_targets: DataLoader[uuid.UUID, SalesTarget | None]
    # the improvement loop
    action_items: DataLoader[uuid.UUID, ActionItem | None]
    # satisfaction surveys
    surveys: DataLoader[uuid.UUID, Survey | None]
    survey_stats: DataLoader[uuid.UUID, SurveyStats | None]  # targets and answers per score
    action_items_by_survey: DataLoader[uuid.UUID, list[ActionItem]]
    # market intelligence
    market_intel: DataLoader[uuid.UUID, MarketIntel | None]
    # meetings
    meetings: DataLoader[uuid.UUID, Meeting | None]
    attendees_by_meeting: DataLoader[uuid.UUID, list[User]]
    action_items_by_meeting: DataLoader[uuid.UUID, list[ActionItem]]

    @classmethod
    def for_request(cls, reads: ReadScope) -> DataLoaders:
        def by_id(fetch: Fetch[uuid.UUID, RowT]) -> DataLoader[uuid.UUID, RowT | None]:
            return _by_id(reads, fetch)

        return cls(
            users=by_id(accounts_repo.users_by_ids),
            api_keys=by_id(accounts_repo.api_keys_by_ids),
            customers=by_id(customers_repo.by_ids),
            contacts=by_id(customers_repo.contacts_by_ids),
            contacts_by_customer=_groups(reads, customers_repo.contacts_of, lambda c: c.customer_id, _same),
            activities=_rows(reads, activity_repo.by_seqs, lambda a: a.seq, _same),
            orders=by_id(orders_repo.by_ids),
            items_by_order=_groups(reads, orders_repo.items_of, lambda i: i.order_id, _same),
            service_jobs=by_id(jobs_repo.by_ids),
            service_jobs_by_order=_groups(reads, jobs_repo.of_orders, lambda j: j.order_id, _same),
            feedback=by_id(feedback_repo.by_ids),
            satisfaction_by_customer=_rows(reads, feedback_repo.satisfaction_of, lambda s: s.customer_id, _same),
            tickets=by_id(tickets_repo.by_ids),
            root_cause_by_ticket=_rows(
                reads, tickets_repo.root_causes_of_tickets, lambda r: r.id, lambda r: r.RootCauseCategory
            ),
            escalations=by_id(tickets_repo.escalations_by_ids),
            escalation_by_ticket=_rows(reads, tickets_repo.current_escalations, lambda e: e.ticket_id, _same),
            participants_by_escalation=_groups(
                reads, tickets_repo.participants_of, lambda r: r.escalation_id, lambda r: r.User
            ),
            notes_by_escalation=_groups(reads, tickets_repo.notes_of, lambda n: n.escalation_id, _same),
            opportunities=by_id(opportunities_repo.by_ids),
            requirements_by_opportunity=_groups(
                reads, opportunities_repo.requirements_of, lambda r: r.opportunity_id, _same
            ),
            solutions_by_opportunity=_groups(reads, opportunities_repo.solutions_of, lambda s: s.opportunity_id, _same),
            customer_update_due_by_escalation=_rows(
                reads,
                lambda session, ids: sla_alerts_repo.customer_update_due(session, ids, sla.CONSULTATION_UPDATE),
                lambda pair: pair[0],
                lambda pair: pair[1],
            ),
            sales_targets=by_id(targets_repo.by_ids),
            action_items=by_id(action_items_repo.by_ids),
            surveys=by_id(surveys_repo.by_ids),
            survey_stats=_rows(reads, surveys_repo.stats_of, lambda s: s.survey_id, _same),
            action_items_by_survey=_groups(reads, surveys_repo.action_items_of, lambda i: i.survey_id, _same),
            market_intel=by_id(market_intel_repo.by_ids),
            meetings=by_id(meetings_repo.by_ids),
            attendees_by_meeting=_groups(reads, meetings_repo.attendees_of, lambda r: r.meeting_id, lambda r: r.User),
            action_items_by_meeting=_groups(reads, meetings_repo.action_items_of, lambda i: i.meeting_id, _same),
        )


async def load_one(loader: DataLoader[K, R | None], key: K | None, convert: Callable[[R], T]) -> T | None:
    """The related object, or None when there is no key or no row."""
    if key is None:
        return None
    row = await loader.load(key)
    return convert(row) if row is not None else None


async def load_required(loader: DataLoader[K, R | None], key: K, convert: Callable[[R], T]) -> T:
    """A relation the database guarantees (a foreign key that is never null): a missing row is a bug."""
    row = await loader.load(key)
    if row is None:
        raise LookupError(f"no row for {key!r}: a non-null relation is missing")
    return convert(row)


async def load_list(loader: DataLoader[K, list[R]], key: K, convert: Callable[[R], T]) -> list[T]:
    return [convert(row) for row in await loader.load(key)]


def uuid_key(raw: str) -> uuid.UUID | None:
    """The uuid of a node id; None for anything but a uuid's canonical spelling (ids are issued that way,
    so another spelling names nothing)."""
    try:
        value = uuid.UUID(raw)
    except (ValueError, TypeError, AttributeError):
        return None
    return value if str(value) == raw else None


def int_key(raw: str) -> int | None:
    """The number of a node id (activities are numbered); None for anything but a number's plain spelling."""
    try:
        value = int(raw)
    except (ValueError, TypeError):
        return None
    return value if str(value) == raw else None


async def load_nodes(
    loader: DataLoader[K, R | None],
    node_ids: Iterable[str],
    convert: Callable[[R], T | None],
    key: Callable[[str], K | None],
) -> list[T | None]:
    """`resolve_nodes` of a Relay node type: one object (or None) per id, in the order asked."""
    keys = [key(str(raw)) for raw in node_ids]
    valid = [k for k in keys if k is not None]
    found = dict(zip(valid, await loader.load_many(valid), strict=True))
    rows = [found.get(k) if k is not None else None for k in keys]
    return [convert(row) if row is not None else None for row in rows]


def node_resolver(loader: Callable[[DataLoaders], DataLoader[uuid.UUID, Any]]) -> Any:
    """The `resolve_nodes` of a Relay node type whose rows `loader` picks from the request's DataLoaders
    and whose `from_row` converts them: `resolve_nodes = node_resolver(lambda loaders: loaders.orders)`.
    (Typed `Any`: strawberry declares `resolve_nodes` as overloads on `required`, one implementation here.)"""

    async def resolve_nodes(cls: Any, *, info: Any, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        return await load_nodes(loader(info.context.loaders), node_ids, cls.from_row, uuid_key)

    return classmethod(resolve_nodes)
