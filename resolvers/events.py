"""The event log: the cursor of a request's snapshot, and the subscriptions (a stream of the log's
matching events, replayed from `after` first)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from graphql import GraphQLError

from db.repositories import events as events_repo
from schema import fanout
from schema.context import Info
from schema.types.common import BadUserInput, query_id
from schema.types.events import (
    EscalationEvent,
    Event,
    EventType,
    OrderHandoffEvent,
    SlaAlertEvent,
    TicketEvent,
    as_graphql,
    common_fields,
    sla_alert,
)
from schema.types.tickets import TicketFilter, period
from services.i18n import T
from services.realtime import streams
from services.realtime.cohorts import JOINING, Joining
from services.realtime.hub import CursorExpired, LoggedEvent, Match, SubscriberTooSlow
from web.ws import DEFAULT_GRACE, close_socket


async def event_cursor(info: Info) -> str:
    """Newest event id in this request's snapshot (the same snapshot as the rest of the query)."""
    return str(await info.context.read(events_repo.latest_id))


def parse_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        value = int(after)
    except ValueError:
        raise BadUserInput(
            T("invalid cursor {after}: use an event's `cursor` or `eventCursor`", after=repr(after))
        ) from None
    if value < 0:
        raise BadUserInput(T("invalid cursor {after}", after=repr(after)))
    return value


async def _events(
    info: Info, match: Match, after: str | None, wrap: Callable[[LoggedEvent], Any], *, personal: bool = False
) -> AsyncIterator[LoggedEvent]:
    """The subscription's events. Started by a WebSocket handler (web/ws_handlers.py sets `JOINING`), it joins
    its cohort instead — replaying from `after` first — and ends without yielding: the cohort renders
    and delivers every later event (services/realtime/cohorts.py). Otherwise it streams them itself."""
    cursor = parse_cursor(after)
    services = info.context.services
    oldest = None
    if cursor is not None:
        from services.event_retention import oldest_allowed_cursor

        async with services.db.sessions() as session:
            oldest = await oldest_allowed_cursor(session)
    joining = JOINING.get()
    if joining is not None and joining.resume_from is not None:
        cursor = joining.resume_from
    try:
        if joining is not None:
            services.hub.check_cursor(cursor, oldest)
            await _join(info, joining, match, wrap, cursor, personal)
            return
        async for event in services.hub.stream(
            match, cursor, oldest_allowed=oldest, on_cut_off=lambda: _close_slow(info)
        ):
            yield event
    except CursorExpired as exc:
        raise GraphQLError(exc.args[0] if exc.args else str(exc), extensions={"code": "CURSOR_EXPIRED"}) from None
    except SubscriberTooSlow as exc:
        raise GraphQLError(str(exc), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from None


async def _join(
    info: Info,
    joining: Joining,
    match: Match,
    wrap: Callable[[LoggedEvent], Any],
    cursor: int | None,
    personal: bool,
) -> None:
    hub = info.context.services.hub
    raw = info._raw_info
    source = fanout.cursor_source(raw.field_nodes[0], joining.query)
    hub.cohorts.remember(joining.query, joining.operation_name, source)
    principal = info.context.principal
    key = fanout.cohort_key(
        joining.query,
        joining.operation_name,
        joining.variables,
        source,
        principal,
        personal=personal,
        language=info.context.language,
    )
    cohort = hub.cohorts.get_or_create(
        key,
        match,
        lambda: fanout.cohort_renderer(
            raw.schema,
            joining.query,
            joining.variables,
            joining.operation_name,
            principal,
            info.context.services,
            wrap,
            info.context.language,
        ),
    )
    joining.member = await hub.join(cohort, joining.sink, joining.prefix, cursor, joining.on_cut_off, joining.on_joined)


# Close code for a subscriber that fell behind by a whole queue; it may reconnect with `after`.
SLOW_SUBSCRIBER_CLOSE_CODE = 4413


def _close_slow(info: Info) -> None:
    # The client stopped reading: it gets 4413 if it reads again within the grace, and loses its
    # TCP connection (and the server its send queue) after the grace in any case.
    settings = info.context.services.settings
    grace = settings.slow_subscriber_grace if settings is not None else DEFAULT_GRACE
    close_socket(
        info.context.request,
        SLOW_SUBSCRIBER_CLOSE_CODE,
        "subscriber too slow: reconnect with after=<last cursor>",
        grace,
    )


def _handoff(event: LoggedEvent) -> OrderHandoffEvent:
    return OrderHandoffEvent(**common_fields(event))


def _escalation(event: LoggedEvent) -> EscalationEvent:
    return EscalationEvent(**common_fields(event))


def _ticket(event: LoggedEvent) -> TicketEvent:
    return TicketEvent(**common_fields(event))


async def order_handoffs(info: Info, after: str | None = None) -> AsyncGenerator[OrderHandoffEvent, None]:
    async for event in _events(info, streams.handoffs, after, _handoff):
        yield _handoff(event)


async def complaint_escalations(info: Info, after: str | None = None) -> AsyncGenerator[EscalationEvent, None]:
    async for event in _events(info, streams.escalations, after, _escalation):
        yield _escalation(event)


async def ticket_board(
    info: Info, filter: TicketFilter | None = None, after: str | None = None
) -> AsyncGenerator[TicketEvent, None]:
    async for event in _events(info, streams.board(board_filter(filter)), after, _ticket):
        yield _ticket(event)


async def sla_alerts(info: Info, after: str | None = None) -> AsyncGenerator[SlaAlertEvent, None]:
    async for event in _events(info, streams.sla_alerts, after, sla_alert):
        yield sla_alert(event)


async def events(
    info: Info,
    types: list[EventType] | None = None,
    after: str | None = None,
) -> AsyncGenerator[Event, None]:
    wanted = frozenset(t.value for t in types) if types else None
    async for event in _events(info, streams.of_types(wanted), after, as_graphql):
        yield as_graphql(event)


def board_filter(f: TicketFilter | None) -> streams.BoardFilter:
    if f is None:
        return streams.BoardFilter()
    assignee = query_id(f.assignee_id, "User", "filter.assigneeId")
    customer = query_id(f.customer_id, "Customer", "filter.customerId")
    created_from, created_to = period(f.created_from, f.created_to, "filter.createdFrom/createdTo")
    resolved_from, resolved_to = period(f.resolved_from, f.resolved_to, "filter.resolvedFrom/resolvedTo")
    return streams.BoardFilter(
        statuses=frozenset(s.value for s in f.status or []),
        kinds=frozenset(k.value for k in f.kind or []),
        priorities=frozenset(p.value for p in f.priority or []),
        assignee_id=str(assignee) if assignee else None,
        customer_id=str(customer) if customer else None,
        escalated=f.escalated,
        sla_state=f.sla_state.value if f.sla_state else None,
        search=f.search.strip().lower() if f.search and f.search.strip() else None,
        created_from=created_from,
        created_to=created_to,
        resolved_from=resolved_from,
        resolved_to=resolved_to,
        root_cause=f.root_cause,
    )
