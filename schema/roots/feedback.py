"""Root fields of feedback (after-sale satisfaction)."""

from __future__ import annotations

import strawberry

from resolvers import feedback as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.feedback import Feedback
from schema.types.feedback_inputs import FeedbackPayload
from services.access import Action

NODE_TYPES = [Feedback]


@strawberry.type
class Query:
    feedback: Connection[Feedback] = query(r.feedback, Action.READ)


@strawberry.type
class Mutation:
    record_feedback: FeedbackPayload = mutation(r.record_feedback, Action.TICKET_PARTICIPATE)
