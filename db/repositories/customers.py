"""Customers and contacts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact, Customer
from db.repositories import rows
from db.repositories.pagination import Page, SortKey, by_uuid, fetch_page

# Alphabetical, as people look customers up; the id breaks ties between equal names.
_KEYS = [SortKey(func.lower(Customer.name)), by_uuid(Customer.id)]


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get(session: AsyncSession, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Customer]:
    return list((await session.scalars(select(Customer).where(Customer.id.in_(list(ids))))).all())


async def page(session: AsyncSession, *, search: str | None, first: int, after: str | None) -> Page[Customer]:
    stmt = select(Customer)
    if search and search.strip():
        pattern = f"%{escape_like(search.strip())}%"
        stmt = stmt.where(or_(Customer.name.ilike(pattern, escape="\\"), Customer.code.ilike(pattern, escape="\\")))
    return await fetch_page(session, stmt, _KEYS, first=first, after=after)


async def add(session: AsyncSession, customer: Customer) -> Customer:
    session.add(customer)
    await session.flush()
    await session.refresh(customer, ["code", "created_at", "updated_at"])
    return customer


async def refresh_timestamps(session: AsyncSession, row: Customer | Contact) -> None:
    await session.flush()
    await session.refresh(row, ["updated_at", "version"])


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


async def contacts_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Contact]:
    return list((await session.scalars(select(Contact).where(Contact.id.in_(list(ids))))).all())
