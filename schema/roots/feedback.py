"""Root fields of feedback (after-sale satisfaction)."""

from __future__ import annotations

from resolvers import feedback as r
from schema.roots import mutations, queries
from schema.types.feedback import Feedback
from services.access import Action

NODE_TYPES = [Feedback]

Query = queries((Action.READ, r.feedback))

Mutation = mutations((Action.TICKET_PARTICIPATE, r.record_feedback))
