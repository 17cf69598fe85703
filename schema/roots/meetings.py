"""Root fields of meetings (例會): everyone reads; leads, supervisors and admins record them (the matrix
lets marketing, service, supervisors and admins through; services/meetings.py refuses staff)."""

from __future__ import annotations

from resolvers import meetings as r
from schema.roots import mutations, queries
from schema.types.meetings import Meeting
from services.access import Action

NODE_TYPES = [Meeting]

Query = queries((Action.READ, r.meetings))

Mutation = mutations((Action.RECORD_MEETINGS, r.record_meeting))
