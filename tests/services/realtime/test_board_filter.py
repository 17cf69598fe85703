"""The live board's filter over ticket event payloads (services/realtime/streams.py `board`): the new
TicketFilter fields (created and resolved periods, half-open; the root cause) and the search over the
customer's name, as the tickets list applies them (the WebSocket test: tests/realtime/test_subscriptions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.repositories.events import LoggedEvent
from services.realtime import streams

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(**payload) -> LoggedEvent:
    base = {"ticketId": "t", "number": "T-000042", "subject": "Noise at night", "customerName": "Harbor Foods"}
    base |= {"status": "RESOLVED", "priority": "HIGH", "kind": "COMPLAINT", "createdAt": T0.isoformat()}
    base |= {"resolvedAt": (T0 + timedelta(hours=5)).isoformat(), "rootCauseCode": "PRODUCT_DEFECT"}
    return LoggedEvent(1, "TICKET_UPDATED", "Ticket", "t", base | payload, None, T0 + timedelta(hours=6))


def sees(f: streams.BoardFilter, e: LoggedEvent) -> bool:
    return streams.board(f)(e)


def test_search_covers_number_subject_and_customer_name_each_on_its_own():
    for term in ("harbor", "foods", "noise", "t-000042", "000042"):
        assert sees(streams.BoardFilter(search=term), event()), term
    assert not sees(streams.BoardFilter(search="summit"), event())
    assert not sees(streams.BoardFilter(search="042 noise"), event())  # no match across two fields, as SQL
    assert not sees(streams.BoardFilter(search="harbor"), event(customerName=None))


def test_periods_are_half_open_and_root_cause_is_exact():
    at, resolved = T0, T0 + timedelta(hours=5)
    assert sees(streams.BoardFilter(created_from=at, created_to=at + timedelta(seconds=1)), event())
    assert not sees(streams.BoardFilter(created_to=at), event())  # exactly at `to`: out
    assert sees(streams.BoardFilter(created_from=at), event())  # exactly at `from`: in
    assert sees(streams.BoardFilter(resolved_from=resolved), event())
    assert not sees(streams.BoardFilter(resolved_to=resolved), event())
    assert not sees(streams.BoardFilter(resolved_from=T0), event(resolvedAt=None))  # never resolved: in no period
    assert sees(streams.BoardFilter(root_cause="PRODUCT_DEFECT"), event())
    assert not sees(streams.BoardFilter(root_cause="OPERATOR_ERROR"), event())
    assert not sees(streams.BoardFilter(root_cause="PRODUCT_DEFECT"), event(rootCauseCode=None))
