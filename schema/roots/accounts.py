"""Root fields of account administration: users and API keys (admins only, but for reading users)."""

from __future__ import annotations

import strawberry

from resolvers import accounts as r
from schema.roots import mutation, query
from schema.types.accounts import ApiKey, User
from schema.types.accounts_inputs import ApiKeyPayload, UserPayload
from schema.types.common import Connection
from services.access import Action

ADMIN = Action.MANAGE_ACCOUNTS

NODE_TYPES = [User, ApiKey]


@strawberry.type
class Query:
    users: Connection[User] = query(r.users, Action.READ)
    api_keys: list[ApiKey] = query(r.api_keys, ADMIN)


@strawberry.type
class Mutation:
    create_user: UserPayload = mutation(r.create_user, ADMIN)
    update_user: UserPayload = mutation(r.update_user, ADMIN)
    deactivate_user: UserPayload = mutation(r.deactivate_user, ADMIN)
    reactivate_user: UserPayload = mutation(r.reactivate_user, ADMIN)
    create_api_key: ApiKeyPayload = mutation(r.create_api_key, ADMIN)
    revoke_api_key: ApiKeyPayload = mutation(r.revoke_api_key, ADMIN)
