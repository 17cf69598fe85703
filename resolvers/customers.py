"""Customer queries and mutations."""

from __future__ import annotations

from typing import Any

from db.models import Customer as CustomerRow
from db.repositories import customers as customers_repo
from resolvers.mutation_boundary import Answer, create_once, given
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection
from schema.types.customers import Customer, CustomersOrderBy
from schema.types.customers_inputs import (
    AddContactInput,
    ContactInput,
    CreateCustomerInput,
    CustomerPayload,
    RemoveContactInput,
    UpdateContactInput,
    UpdateCustomerInput,
)
from services import customers as service
from services.customers import ContactData, NewCustomer
from services.unit_of_work import UnitOfWork


async def customers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    search: str | None = None,
    order_by: CustomersOrderBy = CustomersOrderBy.NAME_ASC,
) -> Connection[Customer]:
    return await page(
        info, customers_repo.page, Customer.from_row, first, after, last, before, search=search, order_by=order_by.value
    )


def _contact(data: ContactInput) -> ContactData:
    return ContactData(name=data.name, title=data.title, phone=data.phone, email=data.email, is_primary=data.is_primary)


_customer = Answer(CustomerPayload, customer=Customer.from_row)


async def create_customer(info: Info, input: CreateCustomerInput) -> CustomerPayload:
    def request() -> NewCustomer:
        return NewCustomer(
            name=input.name,
            industry=input.industry,
            region=input.region,
            lifecycle_stage=input.lifecycle_stage.value if input.lifecycle_stage else None,
            contacts=[_contact(c) for c in input.contacts or []],
        )

    action = create_once("createCustomer", input.idempotency_key, request, service.create_customer, customers_repo.get)
    return await _customer(info, action)


async def update_customer(info: Info, input: UpdateCustomerInput) -> CustomerPayload:
    async def action(uow: UnitOfWork) -> CustomerRow:
        fields: dict[str, Any] = {}
        for name, attr in (("name", "name"), ("industry", "industry"), ("region", "region")):
            if given(getattr(input, name)):
                fields[attr] = getattr(input, name)
        if given(input.lifecycle_stage):
            fields["lifecycle_stage"] = input.lifecycle_stage.value if input.lifecycle_stage else None
        if given(input.owner_id):
            fields["owner_id"] = decode_optional_id(input.owner_id, "User", "ownerId")
        customer_id = decode_id(input.customer_id, "Customer", "customerId")
        return await service.update_customer(uow, customer_id, input.expected_version, **fields)

    return await _customer(info, action)


async def add_contact(info: Info, input: AddContactInput) -> CustomerPayload:
    return await _customer(
        info,
        lambda uow: service.add_contact(
            uow, decode_id(input.customer_id, "Customer", "customerId"), _contact(input.contact)
        ),
    )


async def update_contact(info: Info, input: UpdateContactInput) -> CustomerPayload:
    data = ContactData(
        **{
            f: getattr(input, f) if given(getattr(input, f)) else service.UNSET
            for f in ("name", "title", "phone", "email", "is_primary")
        }
    )
    return await _customer(
        info, lambda uow: service.update_contact(uow, decode_id(input.contact_id, "Contact", "contactId"), data)
    )


async def remove_contact(info: Info, input: RemoveContactInput) -> CustomerPayload:
    return await _customer(
        info, lambda uow: service.remove_contact(uow, decode_id(input.contact_id, "Contact", "contactId"))
    )
