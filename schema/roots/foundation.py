"""Root fields of the foundation: sign-in, accounts, customers, nodes."""

from __future__ import annotations

import strawberry
from strawberry import relay

from resolvers import accounts, customers, nodes
from schema.payloads import ApiKeyPayload, AuthPayload, CustomerPayload, UserPayload
from schema.permissions import Allowed, Authenticated, Public
from schema.types.accounts import ApiKey, User
from schema.types.common import Connection
from schema.types.customers import Activity, Contact, Customer
from services.access import Action

READ = [Allowed(Action.READ)]
ADMIN = [Allowed(Action.MANAGE_ACCOUNTS)]
CUSTOMERS = [Allowed(Action.WRITE_CUSTOMERS)]

# Types `node(id:)` resolves.
NODE_TYPES = [User, ApiKey, Customer, Contact, Activity]


@strawberry.type
class FoundationQuery:
    node: relay.Node | None = strawberry.field(resolver=nodes.node, permission_classes=READ)
    me: User = strawberry.field(resolver=accounts.me, permission_classes=[Authenticated])
    customers: Connection[Customer] = strawberry.field(resolver=customers.customers, permission_classes=READ)
    users: Connection[User] = strawberry.field(resolver=accounts.users, permission_classes=READ)
    api_keys: list[ApiKey] = strawberry.field(resolver=accounts.api_keys, permission_classes=ADMIN)
    event_cursor: str = strawberry.field(
        resolver=nodes.event_cursor,
        permission_classes=READ,
        description="Cursor of the newest event in this request's snapshot: read a board and this together, "
        "then subscribe with `after:` it so nothing in between is missed.",
    )


@strawberry.type
class FoundationMutation:
    login: AuthPayload = strawberry.mutation(resolver=accounts.login, permission_classes=[Public])
    create_customer: CustomerPayload = strawberry.mutation(
        resolver=customers.create_customer, permission_classes=CUSTOMERS
    )
    update_customer: CustomerPayload = strawberry.mutation(
        resolver=customers.update_customer, permission_classes=CUSTOMERS
    )
    add_contact: CustomerPayload = strawberry.mutation(resolver=customers.add_contact, permission_classes=CUSTOMERS)
    update_contact: CustomerPayload = strawberry.mutation(
        resolver=customers.update_contact, permission_classes=CUSTOMERS
    )
    remove_contact: CustomerPayload = strawberry.mutation(
        resolver=customers.remove_contact, permission_classes=CUSTOMERS
    )
    create_user: UserPayload = strawberry.mutation(resolver=accounts.create_user, permission_classes=ADMIN)
    update_user: UserPayload = strawberry.mutation(resolver=accounts.update_user, permission_classes=ADMIN)
    deactivate_user: UserPayload = strawberry.mutation(resolver=accounts.deactivate_user, permission_classes=ADMIN)
    reactivate_user: UserPayload = strawberry.mutation(resolver=accounts.reactivate_user, permission_classes=ADMIN)
    create_api_key: ApiKeyPayload = strawberry.mutation(resolver=accounts.create_api_key, permission_classes=ADMIN)
    revoke_api_key: ApiKeyPayload = strawberry.mutation(resolver=accounts.revoke_api_key, permission_classes=ADMIN)


Query = FoundationQuery
Mutation = FoundationMutation
