"""A mutation's payload object rendered by the compiled read path (issue 9): one statement after the
commit instead of strawberry resolving the selection field by field with its loaders' transaction.

A mutation answers through resolvers/mutation_boundary.py `Answer`, which hands the payload's object
over as `Committed(value, row_id)`. When graphql-core comes to complete that field (the execution
context's `complete_value`, schema/fanout.py), `complete` asks the compiled executor for
`node(id:)` of the row with the field's own selection — the same statement and the same answer as a
query `{ node(id: …) { … on Ticket { <selection> } } }` — and the finished object goes into the
response as it is. What does not compile here is completed by graphql-core from `value` as always: a
payload type that is no Node, a selection with variables, anything the planner refuses (a field this
caller may not see), no compiled executor in the context (WebSocket, `reference` mode). In `compare`
mode both are computed and must agree, as for queries (executor.py).
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    VariableNode,
    get_named_type,
    is_object_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from schema.ids import to_global_id

log = logging.getLogger("tandem.compiled")
_MAX_ENTRIES = 512
_ID_VARIABLE = "tandemPayloadId"


@dataclass(frozen=True)
class Committed:
    """A mutation's payload object: `value` for graphql-core, `row_id` for the compiled statement."""

    value: Any
    row_id: uuid.UUID


class _Uses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.variables = False
        self.fragments: list[str] = []

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.variables = True

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.fragments.append(node.name.value)


def _query_of(type_name: str, nodes: list[FieldNode], fragments: dict[str, Any]) -> str | None:
    """The node query for the selection of `nodes`, with the fragments it spreads; None: it uses
    variables (their definitions are the mutation's, so it is left to the reference)."""
    selections = [selection for node in nodes if node.selection_set for selection in node.selection_set.selections]
    body = " ".join(print_ast(selection) for selection in selections)
    wanted, seen = [], set()
    pending = [*selections]
    while pending:
        uses = _Uses()
        visit(pending.pop(), uses)
        if uses.variables:
            return None
        for name in uses.fragments:
            if name not in seen and name in fragments:
                seen.add(name)
                wanted.append(fragments[name])
                pending.append(fragments[name])
    definitions = " ".join(print_ast(fragment) for fragment in wanted)
    return (
        f"query(${_ID_VARIABLE}: ID!) {{ node(id: ${_ID_VARIABLE}) {{ ... on {type_name} {{ {body} }} }} }} "
        + definitions
    ).strip()


class _Queries(OrderedDict[int, tuple[Any, str | None]]):
    """Node query text per payload field node (strawberry caches the parsed document, so the same
    nodes come back for the same mutation text); the node is kept to make its id unique."""

    def text(self, type_name: str, nodes: list[FieldNode], fragments: dict[str, Any]) -> str | None:
        key = id(nodes[0])
        entry = self.get(key)
        if entry is not None and entry[0] is nodes[0] and len(nodes) == 1:
            self.move_to_end(key)
            return entry[1]
        query = _query_of(type_name, nodes, fragments)
        if len(nodes) == 1:
            self[key] = (nodes[0], query)
            if len(self) > _MAX_ENTRIES:
                self.popitem(last=False)
        return query


_QUERIES = _Queries()


def complete(
    executor: Any, return_type: Any, field_details: Any, info: Any, path: Any, result: Committed, position: Any
) -> Any:
    """graphql-core's completed value of the payload field: a dict from the compiled statement, or
    the reference's completion of `result.value` (the same arguments as `complete_value`)."""
    reads = getattr(info.context, "compiled", None)
    named = get_named_type(return_type)
    if reads is None or not is_object_type(named) or "Node" not in {i.name for i in named.interfaces}:
        return executor.complete_value(return_type, field_details, info, path, result.value, position)
    query = _QUERIES.text(named.name, [d.node for d in field_details], info.fragments)
    if query is None:
        return executor.complete_value(return_type, field_details, info, path, result.value, position)
    return _rendered(executor, reads, query, return_type, field_details, info, path, result, position)


async def _rendered(
    executor: Any,
    reads: Any,
    query: str,
    return_type: Any,
    field_details: Any,
    info: Any,
    path: Any,
    result: Committed,
    position: Any,
) -> Any:
    context = info.context
    variables = {_ID_VARIABLE: to_global_id(get_named_type(return_type).name, result.row_id)}
    answer = await reads.answer(query, variables, None, context.principal, context.clock.now())
    if not isinstance(answer, str):
        answer = None  # a statement timeout too: graphql-core completes it (and reports the error)
    reference = None
    if answer is None or reads.mode == "compare":
        reference = executor.complete_value(return_type, field_details, info, path, result.value, position)
        if inspect.isawaitable(reference):
            reference = await reference
    if answer is None:
        return reference
    compiled = orjson.loads(answer)["node"]
    if reads.mode != "compare":
        return compiled
    sort = orjson.OPT_SORT_KEYS
    if orjson.dumps(reference, option=sort) != orjson.dumps(compiled, option=sort):
        log.error(
            "compiled and reference executors disagree on the payload %s of %r\nreference: %s\ncompiled:  %s",
            ".".join(str(key) for key in path.as_list()),
            query,
            orjson.dumps(reference, option=sort).decode(),
            orjson.dumps(compiled, option=sort).decode(),
        )
        raise GraphQLError("compiled and reference executors disagree", extensions={"code": "COMPILED_MISMATCH"})
    return reference
