"""Property: every `orderBy`, both directions and the tickets' new filters give the same pages on both
executors, and walking a list forwards or backwards gives every row exactly once, in the list's order.

Hypothesis draws a list (tickets, customers, orders, action items), one of its orders, a page size and,
for tickets, a filter with the new fields (created and resolved periods whose bounds fall on real
tickets' instants, a root cause; sometimes an empty or a reversed period, which both refuse alike). Then
the whole list is walked forwards (`first`/`after`) and backwards (`last`/`before`), every page sent to
both apps and compared byte for byte (the compiled executor must answer each). The backward walk read
in reverse must be the forward walk; the rows are in the order's sort values, ties broken by the id;
orders without a delivery date come last ascending and first descending.
`TANDEM_HYPOTHESIS_EXAMPLES` sets the number of examples (default 40).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.repositories import action_items, customers, orders, tickets
from schema.ids import parse_global_id
from tests.compiled.test_property import EXAMPLES, _pair
from tests.support.compiled import Pair, canonical, close_own_pair

PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { %s } }"
RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "URGENT": 3}


def _id(node: dict) -> uuid.UUID:
    return uuid.UUID(parse_global_id(node["id"])[1])


def _due(name: str) -> Any:
    return lambda n: n["sla"][name]


# list -> (its orderBy enum, the repository's orderings, the node's fields, the sort value of a node per
# order, None where PostgreSQL's collation decides, which Python cannot reproduce: lower(name)).
LISTS: dict[str, tuple[str, dict, str, dict[str, Any]]] = {
    "tickets": (
        "TicketsOrderBy",
        tickets.ORDERINGS,
        "id number priority createdAt resolvedAt sla { resolutionDueAt firstResponseDueAt }",
        {
            "CREATED_AT": lambda n: (n["createdAt"],),
            "PRIORITY": lambda n: (RANK[n["priority"]], n["createdAt"]),
            "RESOLUTION_DUE_AT": lambda n: (n["sla"]["resolutionDueAt"],),
            "FIRST_RESPONSE_DUE_AT": lambda n: (n["sla"]["firstResponseDueAt"],),
        },
    ),
    "customers": (
        "CustomersOrderBy",
        customers.ORDERINGS,
        "id name createdAt",
        {"CREATED_AT": lambda n: (n["createdAt"],)},
    ),
    "orders": (
        "OrdersOrderBy",
        orders.ORDERINGS,
        "id createdAt contractValue deliveryDate",
        {
            "CREATED_AT": lambda n: (n["createdAt"],),
            "CONTRACT_VALUE": lambda n: (Decimal(n["contractValue"]),),
            "DELIVERY_DATE": lambda n: (n["deliveryDate"] is None, n["deliveryDate"] or ""),
        },
    ),
    "actionItems": (
        "ActionItemsOrderBy",
        action_items.ORDERINGS,
        "id createdAt dueAt",
        {"CREATED_AT": lambda n: (n["createdAt"],), "DUE_AT": lambda n: (n["dueAt"],)},
    ),
}


def query(root: str, with_filter: bool) -> str:
    enum, _, fields, _ = LISTS[root]
    filter_var, filter_arg = (", $f: TicketFilter", ", filter: $f") if with_filter else ("", "")
    return (
        f"query($first: Int, $after: String, $last: Int, $before: String, $order: {enum}!{filter_var}) {{ "
        f"list: {root}(first: $first, after: $after, last: $last, before: $before, orderBy: $order{filter_arg}) "
        f"{{ {PAGE % fields} }} }}"
    )


def walk(loop: Any, pair: Pair, text: str, variables: dict, principal: str, size: int, backward: bool) -> Any:
    """All pages one way, each agreeing on both executors and compiled; (pages, or None when refused)."""
    pages, cursor = [], None
    size_arg, cursor_arg, next_cursor, more = (
        ("last", "before", "startCursor", "hasPreviousPage")
        if backward
        else ("first", "after", "endCursor", "hasNextPage")
    )
    while True:
        sent = {**variables, size_arg: size, cursor_arg: cursor}
        outcome = loop.run_until_complete(pair.both(text, sent, principal))
        assert outcome.same, (
            f"{principal}: {text} {sent}\ncompiled:  {canonical(outcome.compiled).decode()[:2000]}\n"
            f"reference: {canonical(outcome.reference).decode()[:2000]}"
        )
        data = outcome.reference["body"].get("data")
        if data is None:
            return None
        assert outcome.answered_compiled, (text, sent)
        page = data["list"]
        pages.append(page)
        assert len(page["edges"]) <= size
        if not page["pageInfo"][more]:
            return pages
        cursor = page["pageInfo"][next_cursor]
        assert len(pages) < 500, "paging does not end"


@st.composite
def ticket_filter(draw, instants: list[str], resolutions: list[str], causes: list[str]) -> dict:
    f: dict[str, Any] = {}
    for start, end, pool in (("createdFrom", "createdTo", instants), ("resolvedFrom", "resolvedTo", resolutions)):
        if pool and draw(st.integers(0, 2)) == 0:
            a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            if draw(st.integers(0, 5)):  # mostly a valid period; sometimes reversed (refused) or one-sided
                a, b = min(a, b), max(a, b)
            f[start], f[end] = a, b
            if draw(st.booleans()):
                del f[draw(st.sampled_from([start, end]))]
    if causes and draw(st.integers(0, 3)) == 0:
        f["rootCause"] = draw(st.sampled_from([*causes, "NO_SUCH_CAUSE"]))
    return f


def test_every_order_and_direction_walks_the_whole_list_once_on_both_executors(db_url):
    loop = asyncio.new_event_loop()
    pair = loop.run_until_complete(_pair(db_url))
    everything = "{ tickets(first: 100) { edges { node { createdAt resolvedAt rootCause { code } } } } }"
    nodes = [
        e["node"] for e in loop.run_until_complete(pair.both(everything)).reference["body"]["data"]["tickets"]["edges"]
    ]
    instants = sorted({n["createdAt"] for n in nodes})
    resolutions = sorted({n["resolvedAt"] for n in nodes if n["resolvedAt"]})
    causes = sorted({n["rootCause"]["code"] for n in nodes if n["rootCause"]})
    shifted = [(datetime.fromisoformat(i) + timedelta(microseconds=1)).isoformat() for i in instants[:5]]
    seen_null_dates = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        root=st.sampled_from(sorted(LISTS)),
        data=st.data(),
        size=st.integers(1, 12),
        principal=st.sampled_from(["service", "marketing", "supervisor", "board key", "reporting key"]),
    )
    def check(root: str, data: Any, size: int, principal: str) -> None:
        _, orderings, _, sort_values = LISTS[root]
        order = data.draw(st.sampled_from(sorted(orderings)))
        variables: dict[str, Any] = {"order": order}
        if root == "tickets" and data.draw(st.booleans()):
            variables["f"] = data.draw(ticket_filter(instants + shifted, resolutions, causes))
        if root in ("actionItems", "orders") and principal in ("board key", "reporting key"):
            principal = "service"  # the keys may not read these lists: the refusal is not what is tested here
        text = query(root, "f" in variables)
        ahead = walk(loop, pair, text, variables, principal, size, backward=False)
        back = walk(loop, pair, text, variables, principal, size, backward=True)
        assert (ahead is None) == (back is None), (text, variables)
        if ahead is None:
            return  # refused alike both ways (a reversed period)
        forwards = [e["node"] for p in ahead for e in p["edges"]]
        backwards = [e["node"] for p in back[::-1] for e in p["edges"]]
        assert [_id(n) for n in backwards] == [_id(n) for n in forwards], (text, variables, size)
        assert len({_id(n) for n in forwards}) == len(forwards) == ahead[0]["totalCount"]
        field = order.removesuffix("_DESC").removesuffix("_ASC")
        if field in sort_values:
            keys = [(*sort_values[field](n), _id(n)) for n in forwards]
            assert keys == sorted(keys, reverse=order.endswith("_DESC")), (order, keys[:10])
            assert len(set(keys)) == len(keys)  # the id makes every row's place unique
        if root == "orders":
            seen_null_dates.extend(n["deliveryDate"] is None for n in forwards)
        for page in ahead + back:
            if page["edges"]:
                assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
                assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]

    try:
        check()
    finally:
        close_own_pair(loop, pair)
    if seen_null_dates:  # the NULL placement was exercised, not only assumed
        assert any(seen_null_dates) and not all(seen_null_dates)
