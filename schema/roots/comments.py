"""Root fields of comments on every work item.

`addComment` is the matrix's "comment" (DOMAIN.md: "open ticket, comment, record feedback", every
person, never an API key): TICKET_PARTICIPATE, the right `addTicketComment` already asks, so both ways of
replying on a ticket agree on who may.
"""

from __future__ import annotations

from resolvers import comments as r
from schema.roots import described, mutations
from services.access import Action

Mutation = mutations(
    (
        Action.TICKET_PARTICIPATE,
        described(
            r.add_comment,
            "Comment on an Opportunity, Order, ServiceJob, Ticket or ActionItem. On an opportunity, service's "
            "comment is its technical advice on the requirements. INTERNAL comments are never shown to API keys.",
        ),
    ),
)
