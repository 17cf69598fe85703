"""Timelines show API keys only what they may read: an INTERNAL comment or a consultation note is
hidden from keys (like the comment itself), and so is the activity row that says it was added."""

from __future__ import annotations

import asyncio
import uuid

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import alembic_config
from schema.ids import to_global_id
from tests.support.tickets import cast, new_order, ok, open_ticket, tid

TIMELINE = (
    "timeline(first: $first, after: $after) { totalCount edges { cursor node { id action summary } } "
    "pageInfo { hasNextPage endCursor } }"
)
CUSTOMER_TIMELINE = (
    f"""query($id: ID!, $first: Int, $after: String) {{ node(id: $id) {{ ... on Customer {{ {TIMELINE} }} }} }}"""
)
ORDER_TIMELINE = (
    f"""query($id: ID!, $first: Int, $after: String) {{ node(id: $id) {{ ... on Order {{ {TIMELINE} }} }} }}"""
)
ACTIVITY = "query($id: ID!) { node(id: $id) { ... on Activity { id summary } } }"

INTERNAL = {"Ticket {n} internal comment added", "Ticket {n} consultation note added"}
PUBLIC = "Ticket {n} customer-visible reply added"


async def timeline(gql, token: str, query: str, gid: str, first: int = 100, after: str | None = None) -> dict:
    return (await gql.ok(query, {"id": gid, "first": first, "after": after}, token))["node"]["timeline"]


async def paged(gql, token: str, query: str, gid: str) -> list[str]:
    """Every entry, two at a time: cursors of a filtered timeline neither skip nor repeat entries."""
    summaries, after = [], None
    while True:
        page = await timeline(gql, token, query, gid, first=2, after=after)
        summaries += [e["node"]["summary"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return summaries
        after = page["pageInfo"]["endCursor"]


async def test_keys_do_not_see_internal_comment_or_note_activities(gql, services, users):
    c = await cast(services)
    order = await new_order(c)
    ticket = await open_ticket(c, order_id=order.id)
    gid = tid(ticket.id)
    # Staff work the ticket over HTTP: an internal comment, a customer-visible reply, a consultation note.
    await ok(gql, "acknowledgeTicket", c.service, ticketId=gid)
    await ok(gql, "startTicketWork", c.service, ticketId=gid)
    await ok(
        gql, "addTicketComment", c.service, ticketId=gid, body="Customer is hard to deal with", visibility="INTERNAL"
    )
    await ok(gql, "addTicketComment", c.service, ticketId=gid, body="We are on our way", visibility="CUSTOMER")
    await ok(gql, "escalateTicket", c.service, ticketId=gid, reason="Needs sales", participantIds=[c.marketing.gid])
    await ok(gql, "addEscalationNote", c.marketing, ticketId=gid, body="Offer a discount, not a replacement")

    internal = {s.format(n=ticket.number) for s in INTERNAL}
    public = PUBLIC.format(n=ticket.number)
    board, reporting = await users.api_key("board"), await users.api_key("reporting")
    for query, subject in (
        (CUSTOMER_TIMELINE, to_global_id("Customer", c.customer_id)),
        (ORDER_TIMELINE, to_global_id("Order", order.id)),
    ):
        staff_view = await timeline(gql, c.marketing.token, query, subject)
        everything = [e["node"]["summary"] for e in staff_view["edges"]]
        assert internal <= set(everything) and public in everything
        assert staff_view["totalCount"] == len(everything)
        for account in (c.service, c.supervisor, c.admin):
            assert [
                e["node"]["summary"] for e in (await timeline(gql, account.token, query, subject))["edges"]
            ] == everything
        expected = [s for s in everything if s not in internal]
        for key in (board, reporting):
            view = await timeline(gql, key, query, subject)
            assert [e["node"]["summary"] for e in view["edges"]] == expected, query
            assert view["totalCount"] == len(expected)  # the count agrees with what is listed
            assert await paged(gql, key, query, subject) == expected
        assert await paged(gql, c.marketing.token, query, subject) == everything

    # Nor can a key fetch a hidden entry by its id (ids are sequence numbers, easy to guess).
    hidden = [e["node"]["id"] for e in staff_view["edges"] if e["node"]["summary"] in internal]
    assert len(hidden) == 2
    for activity_id in hidden:
        for key in (board, reporting):
            assert (await gql.ok(ACTIVITY, {"id": activity_id}, key))["node"] is None
        assert (await gql.ok(ACTIVITY, {"id": activity_id}, c.service.token))["node"]["id"] == activity_id


async def _sql(db_url: str, sql: str, **params):
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        await engine.dispose()


async def test_migration_marks_existing_internal_activities(db_url):
    """Rows written before the `internal` column existed are classified from what they record."""
    cfg = alembic_config(db_url)
    await asyncio.to_thread(command.downgrade, cfg, "0005")
    rows = {
        "internal comment": ("ticket.commented", '{"visibility": "INTERNAL"}'),
        "customer reply": ("ticket.commented", '{"visibility": "CUSTOMER"}'),
        "note": ("ticket.escalation_note", '{"noteId": "x"}'),
        "opened": ("ticket.opened", '{"visibility": "INTERNAL"}'),  # not a comment: stays visible
    }
    for summary, (action, changes) in rows.items():
        await _sql(
            db_url,
            "INSERT INTO activity (action, entity_type, entity_id, summary, changes) "
            "VALUES (:a, 'Ticket', :e, :s, CAST(:c AS jsonb))",
            a=action,
            e=uuid.uuid4(),
            s=summary,
            c=changes,
        )
    await asyncio.to_thread(command.upgrade, cfg, "head")
    marked = dict(await _sql(db_url, "SELECT summary, internal FROM activity"))
    assert marked == {"internal comment": True, "customer reply": False, "note": True, "opened": False}
