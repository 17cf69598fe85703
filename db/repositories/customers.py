"""Customers and contacts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Unpack

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact, Customer
from db.repositories import rows
from db.repositories.pagination import Ordering, Page, SortKey, Window, by_datetime, by_uuid, fetch_page, orderings

# Alphabetical, as people look customers up; the id breaks ties between equal names.
PAGE_KEYS = [SortKey(func.lower(Customer.name)), by_uuid(Customer.id)]
_CREATED = (by_datetime(Customer.created_at), by_uuid(Customer.id))

# `customers(orderBy:)`: each ends with the id, so pages are exact.
ORDERINGS = orderings(
    Ordering("NAME_ASC", tuple(PAGE_KEYS), default=True),
    Ordering("NAME_DESC", tuple(PAGE_KEYS), descending=True),
    Ordering("CREATED_AT_DESC", _CREATED, descending=True),
    Ordering("CREATED_AT_ASC", _CREATED),
)
DEFAULT_ORDER = "NAME_ASC"


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_customers = rows.Table(Customer, generated=["code", "created_at", "updated_at"])
get = _customers.get
exists = _customers.exists
by_ids = _customers.by_ids
add = _customers.add


async def page(
    session: AsyncSession, *, search: str | None, order_by: str = DEFAULT_ORDER, **window: Unpack[Window]
) -> Page[Customer]:
    stmt = select(Customer)
    if search and search.strip():
        pattern = f"%{escape_like(search.strip())}%"
        stmt = stmt.where(or_(Customer.name.ilike(pattern, escape="\\"), Customer.code.ilike(pattern, escape="\\")))
    return await fetch_page(session, stmt, ORDERINGS[order_by], **window)


async def name_of(session: AsyncSession, customer_id: uuid.UUID) -> str | None:
    """The customer's name (what a ticket event carries for the boards' search)."""
    return (await session.execute(select(Customer.name).where(Customer.id == customer_id))).scalar_one_or_none()


async def refresh_timestamps(session: AsyncSession, row: Customer | Contact) -> None:
    await session.flush()
    await rows.refresh_unloaded(session, row, ["updated_at", "version"])


async def touch(session: AsyncSession, customer: Customer, now: datetime) -> None:
    """Write the customer as changed at `now`: always bumps its version, also when only its contacts
    changed (assigning an unchanged `updated_at` alone would issue no UPDATE)."""
    rows.touch(customer, now)
    await refresh_timestamps(session, customer)


async def contacts_of(session: AsyncSession, customer_ids: Iterable[uuid.UUID]) -> list[Contact]:
    stmt = (
        select(Contact)
        .where(Contact.customer_id.in_(list(customer_ids)))
        .order_by(Contact.is_primary.desc(), Contact.created_at, Contact.id)
    )
    return list((await session.scalars(stmt)).all())


async def contact(session: AsyncSession, contact_id: uuid.UUID) -> Contact | None:
    return await session.get(Contact, contact_id)


async def clear_primary(session: AsyncSession, customer_id: uuid.UUID, except_id: uuid.UUID | None) -> None:
    """Unset the current primary contact so another can take the flag (one primary per customer)."""
    stmt = select(Contact).where(Contact.customer_id == customer_id, Contact.is_primary.is_(True))
    for row in (await session.scalars(stmt)).all():
        if row.id != except_id:
            row.is_primary = False
    await session.flush()


def add_contact(session: AsyncSession, contact: Contact) -> None:
    session.add(contact)


async def delete_contact(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)


contacts_by_ids = rows.Table(Contact).by_ids
