"""`Table.add` (db/repositories/rows.py): a lone new row is written by one INSERT … RETURNING and then
behaves exactly as a row the ORM flushed: every column loaded (Python and server defaults included),
persistent in the session, later changes UPDATEs checked against its version. With other changes
pending it leaves them and the row to the ORM's flush."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from db.models import Contact, Customer, Order, Ticket, User
from db.plain_insert import PlainInsert
from db.repositories import customers as customers_repo
from db.repositories import rows
from db.repositories import tickets as tickets_repo
from tests.support.database import statements

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def test_a_lone_row_is_one_insert_and_comes_back_whole(services):
    async with services.db.sessions() as session, session.begin():
        customer = Customer(name="Fast Path Ltd")
        with statements(services.db.engine) as seen:
            added = await customers_repo.add(session, customer)
        assert added is customer
        assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT INTO CUSTOMERS"), seen
        # Python-side defaults (id, lifecycle stage), server-made values (code, timestamps), the version:
        # all on the object without another statement.
        with statements(services.db.engine) as later:
            loaded = (customer.id, customer.code, customer.lifecycle_stage, customer.created_at, customer.version)
        assert later == []
        assert isinstance(loaded[0], uuid.UUID) and loaded[1] and loaded[2] == "LEAD" and loaded[4] == 1
        assert customer in session and not session.new and not session.dirty
    async with services.db.sessions() as session:
        stored = await session.get(Customer, customer.id)
        assert stored is not None
        assert (stored.code, stored.name, stored.version, stored.created_at) == (
            customer.code,
            "Fast Path Ltd",
            1,
            customer.created_at,
        )


async def test_a_change_after_the_add_is_an_update_checked_against_the_version(services):
    async with services.db.sessions() as session, session.begin():
        customer = await customers_repo.add(session, Customer(name="Versioned Ltd"))
        customer.region = "North"
        await session.flush()
        assert customer.version == 2
    async with services.db.sessions() as session:
        stored = await session.get(Customer, customer.id)
        assert stored is not None and (stored.region, stored.version) == ("North", 2)

    # A stale copy of the new row (added, then changed elsewhere) fails its UPDATE, as any loaded row does.
    async with services.db.sessions() as session, session.begin():
        stale = await customers_repo.add(session, Customer(name="Stale Ltd"))
    async with services.db.sessions() as session, session.begin():
        fresh = await session.get(Customer, stale.id)
        assert fresh is not None
        fresh.region = "East"
    async with services.db.sessions() as session:
        with pytest.raises(StaleDataError):
            async with session.begin():
                session.add(stale)
                stale.region = "West"


async def test_with_other_rows_pending_the_orm_flushes_them_all(services):
    async with services.db.sessions() as session, session.begin():
        first = await customers_repo.add(session, Customer(name="First Ltd"))
        contact = Contact(customer_id=first.id, name="Li Wei")
        session.add(contact)
        with statements(services.db.engine) as seen:
            second = await customers_repo.add(session, Customer(name="Second Ltd"))
        assert [s.split()[2] for s in seen] == ["contacts", "customers"], seen
        assert second.code and second.version == 1 and contact.created_at is not None
    async with services.db.sessions() as session:
        names = (await session.scalars(select(Contact.name).where(Contact.customer_id == first.id))).all()
        assert names == ["Li Wei"]
        assert await session.get(Customer, second.id) is not None


async def test_none_is_written_as_null_except_to_the_primary_key(services):
    async with services.db.sessions() as session, session.begin():
        customer = await customers_repo.add(session, Customer(id=None, name="Nulls Ltd", region=None))
        assert isinstance(customer.id, uuid.UUID) and customer.region is None


async def test_a_pending_delete_is_flushed_with_the_new_row(services):
    async with services.db.sessions() as session, session.begin():
        doomed = await customers_repo.add(session, Customer(name="Doomed Ltd"))
        await session.delete(doomed)
        with statements(services.db.engine) as seen:
            await customers_repo.add(session, Customer(name="Successor Ltd"))
        assert sorted(s.split()[0].upper() for s in seen) == ["DELETE", "INSERT"], seen
    async with services.db.sessions() as session:
        assert await session.get(Customer, doomed.id) is None


def test_only_tables_needing_no_type_processing_skip_sqlalchemy_core():
    # Plain: uuid, text, timestamps, integers. A Boolean (bind processor) or a Numeric (result processor
    # that depends on the column's type) keeps the Core statement.
    assert PlainInsert.of(Customer.__table__) is not None
    assert PlainInsert.of(Ticket.__table__) is not None
    assert PlainInsert.of(Contact.__table__) is None
    assert PlainInsert.of(Order.__table__) is None


async def test_a_row_of_a_table_with_processed_columns_comes_back_whole_through_core(services):
    async with services.db.sessions() as session, session.begin():
        customer = await customers_repo.add(session, Customer(name="Core Path Ltd"))
    async with services.db.sessions() as session, session.begin():
        contact = await rows.Table(Contact).add(session, Contact(customer_id=customer.id, name="Chen Jie"), NOW)
        assert contact.is_primary is False and contact.version == 1 and contact.created_at is not None
    async with services.db.sessions() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None and (stored.name, stored.is_primary) == ("Chen Jie", False)


async def test_the_plain_insert_stores_what_the_core_insert_stores(services):
    """The same ticket through both statements: every column equal but the ids and the generated number."""
    stored: list[dict] = []
    async with services.db.sessions() as session, session.begin():
        customer = await customers_repo.add(session, Customer(name="Twin Tickets Ltd"))
        user = User(email="twins@example.com", name="Twin", role="SUPERVISOR", department="SERVICE", password_hash="x")
        await rows.Table(User).add(session, user, NOW)
    for plain in (True, False):
        table = tickets_repo._tickets
        saved, table._plain_insert = table._plain_insert, (table._plain_insert if plain else None)
        try:
            async with services.db.sessions() as session, session.begin():
                ticket = Ticket(
                    customer_id=customer.id,
                    kind="COMPLAINT",
                    priority="HIGH",
                    subject="Same",
                    description="Twice",
                    created_by_id=user.id,
                    sla_started_at=NOW,
                    first_response_due_at=NOW,
                    resolution_due_at=NOW,
                )
                await tickets_repo.add(session, ticket, NOW)
                as_returned = {c.key: getattr(ticket, c.key) for c in Ticket.__mapper__.column_attrs}
        finally:
            table._plain_insert = saved
        async with services.db.sessions() as session:
            row = await session.get(Ticket, ticket.id)
            as_read = {c.key: getattr(row, c.key) for c in Ticket.__mapper__.column_attrs}
        assert as_returned == as_read
        stored.append({k: v for k, v in as_read.items() if k not in ("id", "number")})
    assert stored[0] == stored[1]
