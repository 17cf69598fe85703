"""Root fields of sign-in: `login` (open to anyone) and `me`."""

from __future__ import annotations

from resolvers import auth as r
from schema.permissions import Authenticated, Public
from schema.roots import mutations, queries

Query = queries((Authenticated, r.me))

Mutation = mutations((Public, r.login))
