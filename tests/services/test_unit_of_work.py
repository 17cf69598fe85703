"""One business action = one transaction: rows, audit, events and idempotency records commit together
or not at all; events are announced only after the commit."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from db.models import Activity, Customer, Event
from db.repositories import customers as customers_repo
from services import customers as customer_service
from services.customers import ContactData, NewCustomer
from services.errors import DomainError, ErrorCode
from services.principal import Principal, PrincipalKind
from services.unit_of_work import unit_of_work
from tests.support.database import CUSTOMER_AND_CONTACT_WRITES, row_counts


async def events_in_db(services) -> list[Event]:
    async with services.db.sessions() as session:
        return list((await session.scalars(select(Event).order_by(Event.id))).all())


async def create_idempotently(uow, data: NewCustomer, key: str | None):
    """`createCustomer` under an idempotency key, as the mutation does it."""
    return await uow.idempotent(
        "createCustomer",
        key,
        data,
        create=lambda: customer_service.create_customer(uow, data),
        load=lambda i: customers_repo.get(uow.session, i),
        result_id=lambda c: c.id,
    )


def principal(account) -> Principal:
    user = account.user
    return Principal(PrincipalKind.USER, user.id, user.name, department=user.department, role=user.role)


class RecordingAnnouncer:
    """Remembers what it was told and whether those events were already visible to other sessions."""

    def __init__(self, services, fail: bool = False):
        self.services = services
        self.fail = fail
        self.calls: list[list[Event]] = []
        self.visible_when_called: list[set[int]] = []

    async def announce(self, events: list[Event]) -> None:
        self.calls.append(list(events))
        self.visible_when_called.append({e.id for e in await events_in_db(self.services)})
        if self.fail:
            raise RuntimeError("bus is down")


def new(name: str, *contacts: str) -> NewCustomer:
    return NewCustomer(name=name, contacts=[ContactData(name=c) for c in contacts])


async def test_domain_error_rolls_back_everything(services, users):
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    announcer = RecordingAnnouncer(services)
    with pytest.raises(DomainError) as raised:
        async with unit_of_work(services.db.sessions, principal(rep), services.clock, announcer) as uow:
            data = new("Acme", "A", "B")
            await create_idempotently(uow, data, "key-1")
            await customer_service.create_customer(uow, new("Beta"))
            # Rows are written (flushed) by now: the rollback has to undo them.
            async with services.db.sessions() as other:
                assert await other.scalar(select(func.count()).select_from(Customer)) == before["customers"]
            assert await uow.session.scalar(select(func.count()).select_from(Customer)) == before["customers"] + 2
            raise DomainError(ErrorCode.INVALID_TRANSITION, "refused after the writes")
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    assert await row_counts(services, CUSTOMER_AND_CONTACT_WRITES) == before
    assert uow.committed_events == []
    assert announcer.calls == []
    # The key was not used up: a retry with it creates the customer.
    async with unit_of_work(services.db.sessions, principal(rep), services.clock) as uow:
        data = new("Acme", "A", "B")
        customer = await create_idempotently(uow, data, "key-1")
    assert customer.name == "Acme"
    assert (await row_counts(services, CUSTOMER_AND_CONTACT_WRITES))["idempotency"] == before["idempotency"] + 1


async def test_unexpected_exception_rolls_back_and_propagates(services):
    before = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    with pytest.raises(ZeroDivisionError):
        async with unit_of_work(services.db.sessions, None, services.clock) as uow:
            await customer_service.create_customer(uow, new("Acme", "A"))
            raise ZeroDivisionError("an unexpected error")
    assert await row_counts(services, CUSTOMER_AND_CONTACT_WRITES) == before


async def test_events_are_appended_in_order_at_commit(services, users, clock):
    rep = await users.create()
    announcer = RecordingAnnouncer(services)
    before = await events_in_db(services)
    async with unit_of_work(services.db.sessions, principal(rep), services.clock, announcer) as uow:
        a = await customer_service.create_customer(uow, new("Acme", "A"))
        b = await customer_service.create_customer(uow, new("Beta"))
        await customer_service.update_customer(uow, a.id, None, region="East")
        await customer_service.add_contact(uow, b.id, ContactData(name="B"))
        # Buffered, not written: nobody (not even this transaction) sees them before the commit.
        assert uow.committed_events == []
        assert await uow.session.scalar(select(func.count()).select_from(Event)) == len(before)
    committed = uow.committed_events
    assert [(e.type, e.entity_id) for e in committed] == [
        ("CUSTOMER_CREATED", a.id),
        ("CUSTOMER_CREATED", b.id),
        ("CUSTOMER_UPDATED", a.id),
        ("CUSTOMER_UPDATED", b.id),
    ]
    ids = [e.id for e in committed]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert all(e.actor_id == rep.user.id and e.occurred_at == clock.now() for e in committed)
    assert committed[0].payload["customerId"] == str(a.id)
    stored = await events_in_db(services)
    assert [(e.id, e.type, e.entity_id) for e in stored[len(before) :]] == [
        (e.id, e.type, e.entity_id) for e in committed
    ]
    # The announcer heard of them once, after they were visible to everyone.
    assert [[e.id for e in call] for call in announcer.calls] == [ids]
    assert set(ids) <= announcer.visible_when_called[0]
    # All audit rows of one action share its instant.
    async with services.db.sessions() as session:
        stamps = set((await session.scalars(select(Activity.at).where(Activity.customer_id.in_([a.id, b.id])))).all())
    assert stamps == {clock.now()}

    # A later action's events come after.
    clock.advance(seconds=1)
    async with unit_of_work(services.db.sessions, None, services.clock, announcer) as later:
        await customer_service.update_customer(later, b.id, None, name="Beta Two")
    [later_event] = later.committed_events
    assert later_event.id > max(ids)
    assert len(announcer.calls) == 2


async def test_announcer_is_not_called_on_rollback_or_without_events(services):
    announcer = RecordingAnnouncer(services)
    async with unit_of_work(services.db.sessions, None, services.clock, announcer) as uow:
        await uow.session.execute(text("SELECT 1"))
    assert uow.committed_events == [] and announcer.calls == []
    with pytest.raises(DomainError):
        async with unit_of_work(services.db.sessions, None, services.clock, announcer) as uow:
            await customer_service.create_customer(uow, new("Acme"))
            await customer_service.create_customer(uow, new(" "))  # VALIDATION
    assert announcer.calls == [] and uow.committed_events == []
    assert await events_in_db(services) == []


async def test_failing_commit_leaves_no_committed_events(services):
    """`committed_events` must only ever hold events that really committed."""
    async with services.db.sessions() as session, session.begin():
        # Make a constraint fail at COMMIT instead of at INSERT (this test's database only).
        await session.execute(
            text(
                "ALTER TABLE activity ALTER CONSTRAINT fk_activity_customer_id_customers DEFERRABLE INITIALLY DEFERRED"
            )
        )
    announcer = RecordingAnnouncer(services)
    with pytest.raises(IntegrityError):
        async with unit_of_work(services.db.sessions, None, services.clock, announcer) as uow:
            ghost = uuid.uuid4()
            uow.record(
                action="customer.updated",
                entity_type="Customer",
                entity_id=ghost,
                customer_id=ghost,
                summary="refers to a customer that does not exist",
                event="CUSTOMER_UPDATED",
            )
    assert uow.committed_events == []
    assert announcer.calls == []
    assert await events_in_db(services) == []


async def test_a_failing_announcer_does_not_undo_the_commit(services, caplog):
    announcer = RecordingAnnouncer(services, fail=True)
    caplog.set_level(logging.ERROR, logger="tandem.uow")
    async with unit_of_work(services.db.sessions, None, services.clock, announcer) as uow:
        customer = await customer_service.create_customer(uow, new("Acme", "A"))
    assert len(announcer.calls) == 1
    assert [e.id for e in uow.committed_events] == [e.id for e in await events_in_db(services)]
    async with services.db.sessions() as session:
        assert (await session.get(Customer, customer.id)).name == "Acme"
    assert "announcing 1 committed events failed" in caplog.text
    assert "bus is down" in caplog.text  # with its traceback


async def test_concurrent_write_becomes_version_conflict(services):
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        customer = await customer_service.create_customer(uow, new("Acme"))
    before = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    with pytest.raises(DomainError) as raised:
        async with unit_of_work(services.db.sessions, None, services.clock) as slow:
            stale = await customers_repo.get(slow.session, customer.id)  # read without a lock
            async with unit_of_work(services.db.sessions, None, services.clock) as fast:
                await customer_service.update_customer(fast, customer.id, None, name="Fast")
            stale.name = "Slow"
            slow.record(
                action="customer.updated",
                entity_type="Customer",
                entity_id=customer.id,
                customer_id=customer.id,
                summary="slow write",
                event="CUSTOMER_UPDATED",
            )
            await slow.session.flush()
    assert raised.value.code is ErrorCode.VERSION_CONFLICT
    assert raised.value.field == ["expectedVersion"]
    after = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    assert after["activity"] == before["activity"] + 1 and after["events"] == before["events"] + 1  # fast's only
    async with services.db.sessions() as session:
        assert (await session.get(Customer, customer.id)).name == "Fast"


async def test_idempotency_at_the_service_level(services, users):
    a, b = await users.create(), await users.create()

    async def create(account, data: NewCustomer, key: str | None):
        async with unit_of_work(services.db.sessions, principal(account) if account else None, services.clock) as uow:
            return await create_idempotently(uow, data, key)

    first = await create(a, new("Acme", "A"), "k")
    before = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    again = await create(a, new("Acme", "A"), "k")
    assert again.id == first.id
    assert await row_counts(services, CUSTOMER_AND_CONTACT_WRITES) == before
    with pytest.raises(DomainError) as raised:
        await create(a, new("Acme", "B"), "k")
    assert raised.value.code is ErrorCode.DUPLICATE and raised.value.field == ["idempotencyKey"]
    other = await create(b, new("Acme", "A"), "k")
    assert other.id != first.id
    with pytest.raises(DomainError) as raised:
        await create(None, new("Acme"), "anonymous-key")
    assert raised.value.code is ErrorCode.FORBIDDEN
    # Without a key every call creates.
    x, y = await create(a, new("Acme"), None), await create(a, new("Acme"), None)
    assert x.id != y.id
    assert (await row_counts(services, CUSTOMER_AND_CONTACT_WRITES))["idempotency"] == before["idempotency"] + 1
