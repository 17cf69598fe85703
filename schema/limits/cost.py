"""The estimated cost of an operation, before running it (`query_cost`), and its refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)

from db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.limits.documents import fold, fragments_of
from services.i18n import T


class QueryTooComplex(GraphQLError):
    def __init__(self, cost: int, limit: int, node: Any = None):
        super().__init__(
            T("query cost {cost} exceeds the limit of {limit}", cost=format(cost, ","), limit=format(limit, ",")),
            nodes=node,
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit},
        )


def _first(field: FieldNode, variables: dict[str, Any], defaults: dict[str, Any]) -> int:
    """The page size a connection field will be asked for (as page_size() will read it): `first`, or
    `last` paging backwards, which counts exactly the same (both given are refused, but count the larger)."""
    sizes = [
        _size(argument, variables, defaults) for argument in field.arguments or () if argument.name.value in _SIZES
    ]
    return max(sizes, default=DEFAULT_PAGE_SIZE)


_SIZES = ("first", "last")


def _size(argument: ArgumentNode, variables: dict[str, Any], defaults: dict[str, Any]) -> int:
    """One page-size argument as page_size() will read it (20 when null, at most 100)."""
    node = argument.value
    if isinstance(node, VariableNode):
        name = node.name.value
        value = variables[name] if name in variables else defaults.get(name)
    elif isinstance(node, IntValueNode):
        value = int(node.value)
    elif isinstance(node, NullValueNode):
        value = None
    else:
        value = MAX_PAGE_SIZE
    if value is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool) or not isinstance(value, int):
        return MAX_PAGE_SIZE  # refused when the variables are coerced; count the worst
    return min(max(value, 0), MAX_PAGE_SIZE)  # larger values are refused by the resolver


def _is_connection(type_: Any) -> bool:
    fields = getattr(type_, "fields", None) or {}
    return "edges" in fields and "pageInfo" in fields


def query_cost(
    schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode, variables: dict[str, Any] | None
) -> int:
    """An upper bound of the objects the operation can return, before running it.

    Every object costs 1 (scalars and enums 0): the object a field returns, each item of a list. A
    connection costs 1, and everything selected inside it counts once per item asked for: `first`
    (from the document or the variables; 20 when not given, at most 100), so its `edges` are not
    multiplied again. A plain list field counts as 100 items. Fragments and inline fragments count
    where they are spread (abstract types: every type condition is counted). Introspection is free.
    """
    variables = variables or {}
    defaults = {
        d.variable.name.value: _literal_int(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    fragments = fragments_of(document)
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]

    # Types flow down (a selection set's parent type), costs flow up; both pass each definition once.
    parent: dict[int, Any] = {id(operation.selection_set): root}
    for fragment in fragments.values():
        parent[id(fragment.selection_set)] = schema.get_type(fragment.type_condition.name.value)
    for definition in [operation, *fragments.values()]:
        stack = [definition.selection_set]
        while stack:
            selection_set = stack.pop()
            type_ = parent.get(id(selection_set))
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode) and selection.selection_set:
                    field = (getattr(type_, "fields", None) or {}).get(selection.name.value)
                    parent[id(selection.selection_set)] = get_named_type(field.type) if field else None
                    stack.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    parent[id(selection.selection_set)] = schema.get_type(condition.name.value) if condition else type_
                    stack.append(selection.selection_set)

    def cost(selection_set: SelectionSetNode, value_of: Callable[[Any], Any]) -> int:
        type_ = parent.get(id(selection_set))
        fields = getattr(type_, "fields", None) or {}
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total += value_of(selection) or 0
            elif isinstance(selection, InlineFragmentNode):
                total += value_of(selection.selection_set)
            elif (
                isinstance(selection, FieldNode)
                and not selection.name.value.startswith("__")
                and selection.selection_set
            ):
                field = fields.get(selection.name.value)
                if field is None or is_leaf_type(get_named_type(field.type)):
                    continue
                inner = value_of(selection.selection_set)
                if _is_connection(get_named_type(field.type)):
                    total += 1 + _first(selection, variables, defaults) * inner
                elif is_list_type(get_nullable_type(field.type)):
                    # The edges of a connection were counted by the connection: once per item.
                    total += inner if _is_connection(type_) else MAX_PAGE_SIZE * (1 + inner)
                else:
                    total += 1 + inner
        return total

    return fold(document, [operation], cost)[id(operation.selection_set)]


def _literal_int(node: Any) -> Any:
    return int(node.value) if isinstance(node, IntValueNode) else None
