"""Root fields of customers and their contacts."""

from __future__ import annotations

import strawberry

from resolvers import customers as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.customers import Activity, Contact, Customer
from schema.types.customers_inputs import CustomerPayload
from services.access import Action

WRITE = Action.WRITE_CUSTOMERS

NODE_TYPES = [Customer, Contact, Activity]


@strawberry.type
class Query:
    customers: Connection[Customer] = query(r.customers, Action.READ)


@strawberry.type
class Mutation:
    create_customer: CustomerPayload = mutation(r.create_customer, WRITE)
    update_customer: CustomerPayload = mutation(r.update_customer, WRITE)
    add_contact: CustomerPayload = mutation(r.add_contact, WRITE)
    update_contact: CustomerPayload = mutation(r.update_contact, WRITE)
    remove_contact: CustomerPayload = mutation(r.remove_contact, WRITE)
