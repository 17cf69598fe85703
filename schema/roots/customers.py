"""Root fields of customers and their contacts."""

from __future__ import annotations

from resolvers import customers as r
from schema.roots import mutations, queries
from schema.types.customers import Activity, Contact, Customer
from services.access import Action

WRITE = Action.WRITE_CUSTOMERS

NODE_TYPES = [Customer, Contact, Activity]

Query = queries((Action.READ, r.customers))

Mutation = mutations(
    (WRITE, r.create_customer, r.update_customer, r.add_contact, r.update_contact, r.remove_contact),
)
