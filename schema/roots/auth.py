"""Root fields of sign-in: `login` (open to anyone) and `me`."""

from __future__ import annotations

import strawberry

from resolvers import auth as r
from schema.permissions import Authenticated, Public
from schema.roots import mutation, query
from schema.types.accounts import User
from schema.types.auth_inputs import AuthPayload


@strawberry.type
class Query:
    me: User = query(r.me, Authenticated)


@strawberry.type
class Mutation:
    login: AuthPayload = mutation(r.login, Public)
