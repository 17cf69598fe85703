"""Root fields of satisfaction surveys: everyone reads; service, supervisors and admins run them."""

from __future__ import annotations

from resolvers import surveys as r
from schema.roots import mutations, queries
from schema.types.surveys import Survey
from services.access import Action

NODE_TYPES = [Survey]

Query = queries((Action.READ, r.surveys))

Mutation = mutations((Action.RUN_SURVEYS, r.create_survey, r.open_survey, r.close_survey))
