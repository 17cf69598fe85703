"""`Table.add` (db/repositories/rows.py): a lone new row is written by one INSERT … RETURNING and then
behaves exactly as a row the ORM flushed: every column loaded (Python and server defaults included),
persistent in the session, later changes UPDATEs checked against its version. With other changes
pending it leaves them and the row to the ORM's flush."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from db.models import Contact, Customer
from db.repositories import customers as customers_repo
from tests.support.database import statements


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
