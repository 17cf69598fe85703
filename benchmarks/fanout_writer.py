"""The event source of benchmarks/fanout.py: GraphQL mutations over HTTP, each committing one event."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

from schema.ids import to_global_id

CREATE_CUSTOMER = (
    'mutation($n: String!) { createCustomer(input: {name: $n, contacts: [{name: "Dana Board", '
    'phone: "+49 30 1234567"}]}) { customer { id } errors { message } } }'
)
CREATE_ORDER = (
    'mutation($c: ID!) { createOrder(input: {customerId: $c, items: [{productModel: "X1", quantity: 1}], '
    'deliveryDate: "2026-12-01", contractValue: "100.00"}) { order { id } errors { message } } }'
)
OPEN_TICKET = (
    "mutation($c: ID!, $s: String!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, "
    'subject: $s, description: "benchmark ticket"}) { ticket { id } errors { message } } }'
)
PRIORITY = (
    "mutation($t: ID!, $p: TicketPriority!) { changeTicketPriority(input: {ticketId: $t, priority: $p}) "
    "{ ticket { version } errors { message } } }"
)
COMMENT = (
    "mutation($t: ID!, $b: String!) { addTicketComment(input: {ticketId: $t, body: $b, visibility: INTERNAL}) "
    "{ ticket { version } errors { message } } }"
)
HAND_OFF = "mutation($o: ID!) { handOffOrder(input: {orderId: $o}) { order { status } errors { message } } }"
RETURN = (
    'mutation($o: ID!) { returnOrder(input: {orderId: $o, reason: "benchmark: quantity mismatch"}) '
    "{ order { status } errors { message } } }"
)
LOGIN = 'mutation($e: String!) { login(input: {email: $e, password: "tandem-demo"}) { token } }'


@dataclass
class Mutation:
    seq: int | None  # None for warm-up mutations
    entity: uuid.UUID
    sent: float = 0.0
    answered: float = 0.0
    ok: bool = False


class Writer:
    """Commits events through GraphQL mutations over HTTP on server 0.

    Each entity has at most one mutation in flight (a lock per entity), so a logged event is matched
    to its mutation by (entity id, occurredAt within the mutation's send..answer interval).
    """

    def __init__(
        self, client: httpx.AsyncClient, tokens: dict[str, str], tickets: list[uuid.UUID], orders: list[uuid.UUID]
    ):
        self.client, self.tokens = client, tokens
        self.tickets = [(t, "ticket") for t in tickets]
        self.orders = orders
        self.priority = dict.fromkeys(tickets, "HIGH")
        self.order_state = dict.fromkeys(orders, "DRAFT")
        self.locks: dict[uuid.UUID, asyncio.Lock] = {e: asyncio.Lock() for e in [*tickets, *orders]}
        self.done: list[Mutation] = []
        self.failures: list[str] = []
        self._ticket_turn = 0
        self._order_turn = 0

    async def _post(self, token: str, query: str, variables: dict) -> dict:
        r = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.tokens[token]}"},
        )
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        payload = next(iter(body["data"].values()))
        if payload.get("errors"):
            raise RuntimeError(payload["errors"])
        return payload

    def plan(self, seq: int | None, step: int) -> tuple[str, uuid.UUID]:
        """Step 0, 2: priority change; 1: comment; 3: order handoff or return (a handoffs-stream event)."""
        if step % 4 == 3:
            entity = self.orders[self._order_turn % len(self.orders)]
            self._order_turn += 1
            return "order", entity
        entity = self.tickets[self._ticket_turn % len(self.tickets)][0]
        self._ticket_turn += 1
        return ("comment" if step % 4 == 1 else "priority"), entity

    async def run(self, seq: int | None, what: str, entity: uuid.UUID) -> Mutation:
        m = Mutation(seq, entity)
        async with self.locks[entity]:
            m.sent = time.time()
            try:
                if what == "priority":
                    new = "NORMAL" if self.priority[entity] == "HIGH" else "HIGH"
                    await self._post("service", PRIORITY, {"t": gid("Ticket", entity), "p": new})
                    self.priority[entity] = new
                elif what == "comment":
                    await self._post("marketing", COMMENT, {"t": gid("Ticket", entity), "b": f"benchmark note {seq}"})
                elif self.order_state[entity] == "HANDED_OFF":
                    await self._post("service", RETURN, {"o": gid("Order", entity)})
                    self.order_state[entity] = "RETURNED"
                else:
                    await self._post("marketing", HAND_OFF, {"o": gid("Order", entity)})
                    self.order_state[entity] = "HANDED_OFF"
                m.ok = True
            except Exception as exc:  # noqa: BLE001 - counted and shown; the run goes on
                self.failures.append(f"{what} {entity}: {type(exc).__name__}: {str(exc)[:200]}")
            m.answered = time.time()
        if seq is not None:
            self.done.append(m)
        return m


def gid(type_name: str, value: uuid.UUID) -> str:
    return to_global_id(type_name, value)
