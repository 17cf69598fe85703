"""Customers and contacts: the shared record both departments work from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from db.models import Contact, Customer
from db.repositories import accounts as accounts_repo
from db.repositories import customers as customers_repo
from services.errors import check_version, not_found
from services.i18n import T
from services.rules.customers import LIFECYCLE_STAGES
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

# The contact fields as a refusal names them ("contact phone must be at most 50 characters").
_CONTACT_LABELS = {"title": T("contact title"), "phone": T("contact phone"), "email": T("contact email")}


class Unset(Enum):
    """Distinguishes "not given" from an explicit null in partial updates."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


@dataclass
class ContactData:
    """A contact's fields; in a partial update (`update_contact`) UNSET leaves a field as it is."""

    name: str | Unset | None
    title: str | Unset | None = None
    phone: str | Unset | None = None
    email: str | Unset | None = None
    is_primary: bool | Unset | None = None


@dataclass
class NewCustomer:
    name: str
    industry: str | None = None
    region: str | None = None
    lifecycle_stage: str | None = None
    contacts: list[ContactData] = field(default_factory=list)


def _text(value: str | Unset | None) -> str | None:
    return None if value is UNSET else value


def _check_contact(v: Validator, data: ContactData, *path: str, partial: bool = False) -> dict[str, Any]:
    """Checked values of the fields given (the Contact columns). In a partial update UNSET means "leave
    as is" and None clears an optional field."""
    values: dict[str, Any] = {}
    if not partial or data.name is not UNSET:
        values["name"] = v.text(_text(data.name), "contact name", *path, "name", required=True)
    for attr, max_len in (("title", 200), ("phone", 50), ("email", 320)):
        raw = getattr(data, attr)
        if not partial or raw is not UNSET:
            values[attr] = v.text(_text(raw), _CONTACT_LABELS[attr], *path, attr, max_len=max_len)
    email = values.get("email")
    v.require(not email or "@" in email, "contact email is not a valid address", *path, "email")
    phone = values.get("phone")
    v.require(
        not phone or sum(ch.isdigit() for ch in phone) >= 5, "contact phone needs at least 5 digits", *path, "phone"
    )
    if data.is_primary not in (None, UNSET):
        values["is_primary"] = data.is_primary
    return values


async def create_customer(uow: UnitOfWork, data: NewCustomer) -> Customer:
    v = Validator()
    name = v.text(data.name, "name", "name", required=True)
    industry = v.text(data.industry, "industry", "industry", max_len=100)
    region = v.text(data.region, "region", "region", max_len=100)
    stage = data.lifecycle_stage or "LEAD"
    v.require(stage in LIFECYCLE_STAGES, "unknown lifecycle stage", "lifecycleStage")
    contacts = [_check_contact(v, c, "contacts", str(i)) for i, c in enumerate(data.contacts)]
    v.require(sum(bool(c.get("is_primary")) for c in contacts) <= 1, "at most one contact can be primary", "contacts")
    v.raise_if_any()
    if contacts and not any(c.get("is_primary") for c in contacts):
        contacts[0]["is_primary"] = True  # a customer with contacts always has someone to call first
    owner_id = uow.actor_id if uow.actor and uow.actor.department == "MARKETING" else None
    customer = Customer(
        id=uuid.uuid4(),
        name=name,
        industry=industry,
        region=region,
        lifecycle_stage=stage,
        owner_id=owner_id,
    )
    await customers_repo.add(uow.session, customer, uow.now)
    for values in contacts:
        customers_repo.add_contact(uow.session, Contact(id=uuid.uuid4(), customer_id=customer.id, **values))
    await uow.session.flush()
    uow.record_about(
        _subject(customer),
        action="customer.created",
        summary=f"Customer {customer.code} {name} created",
        event="CUSTOMER_CREATED",
        changes={"contacts": len(contacts)},
    )
    return customer


async def update_customer(
    uow: UnitOfWork, customer_id: uuid.UUID, expected_version: int | None, **fields: Any
) -> Customer:
    """`fields` holds only what the caller gave: name, industry, region, lifecycle_stage, owner_id."""
    customer = await _locked_customer(uow, customer_id)
    check_version("customer", expected_version, customer.version)
    v = Validator()
    if "name" in fields:
        fields["name"] = v.text(fields["name"], "name", "name", required=True)
    for attr in ("industry", "region"):
        if attr in fields:
            fields[attr] = v.text(fields[attr], attr, attr, max_len=100)
    if "lifecycle_stage" in fields:
        v.require(fields["lifecycle_stage"] in LIFECYCLE_STAGES, "unknown lifecycle stage", "lifecycleStage")
    if fields.get("owner_id") is not None:
        owner = await accounts_repo.user_by_id(uow.session, fields["owner_id"])
        v.require(owner is not None and owner.active, "owner must be an active user", "ownerId")
    v.raise_if_any()
    changes = {k: [getattr(customer, k), val] for k, val in fields.items() if getattr(customer, k) != val}
    if changes:
        for attr, (_, new) in changes.items():
            setattr(customer, attr, new)
        await customers_repo.touch(uow.session, customer, uow.now)
        uow.record_about(
            _subject(customer),
            action="customer.updated",
            summary=f"Customer {customer.code} updated: {', '.join(changes)}",
            changes=changes,
            event="CUSTOMER_UPDATED",
            payload={"fields": sorted(changes)},
        )
    return customer


async def add_contact(uow: UnitOfWork, customer_id: uuid.UUID, data: ContactData) -> Customer:
    customer = await _locked_customer(uow, customer_id)
    v = Validator()
    values = _check_contact(v, data, "contact")
    v.raise_if_any()
    existing = await customers_repo.contacts_of(uow.session, [customer.id])
    if values.get("is_primary") or not existing:
        values["is_primary"] = True
        await customers_repo.clear_primary(uow.session, customer.id, None)
    contact = Contact(id=uuid.uuid4(), customer_id=customer.id, **values)
    customers_repo.add_contact(uow.session, contact)
    await _touch(uow, customer, "contact.added", f"Contact {contact.name} added", {"contactId": str(contact.id)})
    return customer


async def update_contact(uow: UnitOfWork, contact_id: uuid.UUID, data: ContactData) -> Customer:
    contact = await customers_repo.contact(uow.session, contact_id)
    if contact is None:
        raise not_found("contact", "contactId")
    customer = await _locked_customer(uow, contact.customer_id)
    v = Validator()
    values = _check_contact(v, data, partial=True)
    v.raise_if_any()
    if values.get("is_primary") is False and contact.is_primary:
        v.require(False, "choose another primary contact instead of unsetting this one", "isPrimary")
        v.raise_if_any()
    if values.get("is_primary"):
        await customers_repo.clear_primary(uow.session, customer.id, contact.id)
    changes = {k: [getattr(contact, k), val] for k, val in values.items() if getattr(contact, k) != val}
    for attr, (_, new) in changes.items():
        setattr(contact, attr, new)
    if changes:
        # Phone and email values stay out of the audit row: the trail is readable by API keys' reports.
        await _touch(
            uow,
            customer,
            "contact.updated",
            f"Contact {contact.name} updated: {', '.join(changes)}",
            {"contactId": str(contact.id), "fields": sorted(changes)},
        )
    return customer


async def remove_contact(uow: UnitOfWork, contact_id: uuid.UUID) -> Customer:
    contact = await customers_repo.contact(uow.session, contact_id)
    if contact is None:
        raise not_found("contact", "contactId")
    customer = await _locked_customer(uow, contact.customer_id)
    was_primary = contact.is_primary
    await customers_repo.delete_contact(uow.session, contact)
    await uow.session.flush()
    if was_primary:
        remaining = await customers_repo.contacts_of(uow.session, [customer.id])
        if remaining:
            remaining[0].is_primary = True  # keep "always someone to call first"
    await _touch(uow, customer, "contact.removed", f"Contact {contact.name} removed", {"contactId": str(contact.id)})
    return customer


async def _locked_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    # Row lock: contact changes serialise per customer, so the one-primary rule cannot race.
    customer = await customers_repo.get(uow.session, customer_id, for_update=True)
    if customer is None:
        raise not_found("customer", "customerId")
    return customer


async def _touch(uow: UnitOfWork, customer: Customer, action: str, summary: str, details: dict[str, Any]) -> None:
    """Contact changes are changes of the customer record: bump its version and tell subscribers."""
    await customers_repo.touch(uow.session, customer, uow.now)
    uow.record_about(
        _subject(customer),
        action=action,
        summary=summary,
        changes=details,
        event="CUSTOMER_UPDATED",
        payload={"fields": ["contacts"]},
    )


def _subject(customer: Customer) -> Subject:
    """What the activity rows and events about a customer name: it, on its own timeline."""
    return Subject("Customer", customer.id, customer.id)
