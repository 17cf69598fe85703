"""Checks that the records a new work item links to exist and belong to the same customer, and that the
people it names are active users."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, User
from db.repositories import accounts as accounts_repo
from db.repositories import customers as customers_repo
from db.repositories import feedback as feedback_repo
from db.repositories import opportunities as opportunities_repo
from db.repositories import orders as orders_repo
from db.repositories import tickets as tickets_repo
from services import i18n
from services.errors import invalid, not_found
from services.i18n import T
from services.unit_of_work import UnitOfWork

# The customer of a linked record, or None when there is no such record.
CustomerOf = Callable[[AsyncSession, uuid.UUID], Awaitable[uuid.UUID | None]]


async def existing_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await customers_repo.get(uow.session, customer_id)
    if customer is None:
        raise not_found("customer", "customerId")
    return customer


async def require_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """`existing_customer` for a caller that needs only to know it exists (one cheap statement)."""
    if not await customers_repo.exists(uow.session, customer_id):
        raise not_found("customer", "customerId")


async def check_order_of(uow: UnitOfWork, customer_id: uuid.UUID, order_id: uuid.UUID | None) -> None:
    """A linked order must exist and be the same customer's (None: no order linked)."""
    await _check(uow, customer_id, order_id, orders_repo.customer_of, "order", "orderId")


async def check_opportunity_of(uow: UnitOfWork, customer_id: uuid.UUID, opportunity_id: uuid.UUID | None) -> None:
    """A linked opportunity must exist and be the same customer's (None: no opportunity linked)."""
    await _check(uow, customer_id, opportunity_id, opportunities_repo.customer_of, "opportunity", "opportunityId")


async def check_ticket_of(uow: UnitOfWork, customer_id: uuid.UUID, ticket_id: uuid.UUID | None) -> None:
    """A linked ticket must exist and be the same customer's (None: no ticket linked)."""
    await _check(uow, customer_id, ticket_id, tickets_repo.customer_of, "ticket", "ticketId")


async def check_feedback_of(uow: UnitOfWork, customer_id: uuid.UUID, feedback_id: uuid.UUID | None) -> None:
    """A linked feedback record must exist and be the same customer's (None: none linked)."""
    await _check(uow, customer_id, feedback_id, feedback_repo.customer_of, "feedback", "feedbackId")


async def customer_of_link(
    uow: UnitOfWork, feedback_id: uuid.UUID | None, ticket_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The customer of the first linked record (feedback, then ticket), for a work item that names none."""
    for linked_id, customer_of, what, field in (
        (feedback_id, feedback_repo.customer_of, T("feedback"), "feedbackId"),
        (ticket_id, tickets_repo.customer_of, T("ticket"), "ticketId"),
    ):
        if linked_id is not None:
            owner = await customer_of(uow.session, linked_id)
            if owner is None:
                raise not_found(what, field)
            return owner
    return None


async def active_user(
    uow: UnitOfWork, user_id: uuid.UUID, label: str, field: str, department: str | None = None
) -> User:
    """The user a work item names (an owner, a lead), who must be active (and of `department`, if given)."""
    user = await accounts_repo.user_by_id(uow.session, user_id)
    if user is None or not user.active or (department is not None and user.department != department):
        if department is None:
            raise invalid(T("{label} must be an active user", label=i18n.text(label)), field)
        raise invalid(
            T(
                "{label} must be an active {department} user",
                label=i18n.text(label),
                department=i18n.text(department.lower()),
            ),
            field,
        )
    return user


async def _check(
    uow: UnitOfWork, customer_id: uuid.UUID, linked_id: uuid.UUID | None, customer_of: CustomerOf, what: str, field: str
) -> None:
    if linked_id is None:
        return
    owner = await customer_of(uow.session, linked_id)
    if owner is None:
        raise not_found(what, field)
    if owner != customer_id:
        raise invalid(T("the {what} belongs to another customer", what=i18n.text(what)), field)
