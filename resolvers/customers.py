"""Customer queries and mutations."""

from __future__ import annotations

import strawberry

from db.repositories import customers as customers_repo
from resolvers.support import given, mutate
from schema.ids import decode_id, decode_optional_id
from schema.inputs import (
    AddContactInput,
    CreateCustomerInput,
    RemoveContactInput,
    UpdateContactInput,
    UpdateCustomerInput,
)
from schema.payloads import CustomerPayload
from schema.types.common import Connection, connection
from schema.types.customers import Customer
from services import customers as service
from services.customers import ContactData, NewCustomer


async def customers(
    info: strawberry.Info, first: int | None = None, after: str | None = None, search: str | None = None
) -> Connection[Customer]:
    return await connection(
        info, lambda s, size: customers_repo.page(s, search=search, first=size, after=after), first, Customer.from_row
    )


def _contact(data) -> ContactData:
    return ContactData(name=data.name, title=data.title, phone=data.phone, email=data.email, is_primary=data.is_primary)


def _payload(result) -> CustomerPayload:
    customer, errors = result
    return CustomerPayload(customer=Customer.from_row(customer) if customer else None, errors=errors)


async def create_customer(info: strawberry.Info, input: CreateCustomerInput) -> CustomerPayload:
    data = NewCustomer(
        name=input.name,
        industry=input.industry,
        region=input.region,
        lifecycle_stage=input.lifecycle_stage.value if input.lifecycle_stage else None,
        contacts=[_contact(c) for c in input.contacts or []],
    )

    async def action(uow):
        return await uow.idempotent(
            "createCustomer",
            input.idempotency_key,
            data,
            create=lambda: service.create_customer(uow, data),
            load=lambda customer_id: customers_repo.get(uow.session, customer_id),
            result_id=lambda c: c.id,
        )

    return _payload(await mutate(info, action))


async def update_customer(info: strawberry.Info, input: UpdateCustomerInput) -> CustomerPayload:
    async def action(uow):
        fields = {}
        for name, attr in (("name", "name"), ("industry", "industry"), ("region", "region")):
            if given(getattr(input, name)):
                fields[attr] = getattr(input, name)
        if given(input.lifecycle_stage):
            fields["lifecycle_stage"] = input.lifecycle_stage.value if input.lifecycle_stage else None
        if given(input.owner_id):
            fields["owner_id"] = decode_optional_id(input.owner_id, "User", "ownerId")
        customer_id = decode_id(input.customer_id, "Customer", "customerId")
        return await service.update_customer(uow, customer_id, input.expected_version, **fields)

    return _payload(await mutate(info, action))


async def add_contact(info: strawberry.Info, input: AddContactInput) -> CustomerPayload:
    return _payload(
        await mutate(
            info,
            lambda uow: service.add_contact(
                uow, decode_id(input.customer_id, "Customer", "customerId"), _contact(input.contact)
            ),
        )
    )


async def update_contact(info: strawberry.Info, input: UpdateContactInput) -> CustomerPayload:
    data = ContactData(
        **{
            f: getattr(input, f) if given(getattr(input, f)) else service.UNSET
            for f in ("name", "title", "phone", "email", "is_primary")
        }
    )
    return _payload(
        await mutate(
            info, lambda uow: service.update_contact(uow, decode_id(input.contact_id, "Contact", "contactId"), data)
        )
    )


async def remove_contact(info: strawberry.Info, input: RemoveContactInput) -> CustomerPayload:
    return _payload(
        await mutate(info, lambda uow: service.remove_contact(uow, decode_id(input.contact_id, "Contact", "contactId")))
    )
