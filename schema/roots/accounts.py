"""Root fields of account administration: users and API keys (admins only, but for reading users)."""

from __future__ import annotations

from resolvers import accounts as r
from schema.roots import mutations, queries
from schema.types.accounts import ApiKey, User
from services.access import Action

ADMIN = Action.MANAGE_ACCOUNTS

NODE_TYPES = [User, ApiKey]

Query = queries((Action.READ, r.users), (ADMIN, r.api_keys))

Mutation = mutations(
    (ADMIN, r.create_user, r.update_user, r.deactivate_user, r.reactivate_user, r.create_api_key, r.revoke_api_key),
)
