"""Customers' write side: the inputs and payload of the customer and contact mutations."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.customers import Customer, LifecycleStage


@strawberry.input
class ContactInput:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None


@strawberry.input
class CreateCustomerInput:
    name: str
    industry: str | None = None
    region: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    contacts: list[ContactInput] | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateCustomerInput:
    customer_id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    lifecycle_stage: LifecycleStage | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class AddContactInput:
    customer_id: strawberry.ID
    contact: ContactInput


@strawberry.input
class UpdateContactInput:
    """Fields left out stay as they are; an explicit null clears an optional field."""

    contact_id: strawberry.ID
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input
class RemoveContactInput:
    contact_id: strawberry.ID


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
