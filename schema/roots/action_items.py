"""Root fields of the improvement loop: action items (everyone reads; staff act; supervisors verify)."""

from __future__ import annotations

from resolvers import action_items as r
from schema.roots import mutations, queries
from schema.types.action_items import ActionItem
from services.access import Action

NODE_TYPES = [ActionItem]

Query = queries((Action.READ, r.action_items))

Mutation = mutations(
    (Action.IMPROVEMENT_ACTIONS, r.create_action_item, r.start_action_item, r.complete_action_item),
    (Action.VERIFY_IMPROVEMENT, r.verify_action_item),
    (Action.IMPROVEMENT_ACTIONS, r.cancel_action_item),
)
