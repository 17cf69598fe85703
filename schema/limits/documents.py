"""Walking a parsed document without recursion: its operations, fragments (in the order they spread each
other) and selection sets, and `fold`, which computes a value per selection set, inner ones first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

# combine(selection_set, value_of) -> the selection set's value; value_of(node) is a nested set's value.
Combine = Callable[[SelectionSetNode, Callable[[Any], Any]], Any]


def selection_sets(root: SelectionSetNode) -> list[SelectionSetNode]:
    """Every selection set inside one definition, each after all the ones nested in it (iterative)."""
    pre_order: list[SelectionSetNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        pre_order.append(node)
        stack.extend(inner for s in node.selections if (inner := getattr(s, "selection_set", None)))
    pre_order.reverse()
    return pre_order


def spreads(root: SelectionSetNode) -> Iterator[str]:
    for selection_set in selection_sets(root):
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value


def fragments_of(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def fragment_order(fragments: dict[str, FragmentDefinitionNode], roots: list[str]) -> list[str]:
    """The fragments reachable from `roots`, each after the fragments it spreads. A spread that closes
    a cycle is left out (validation refuses cycles; this only has to terminate)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for root in roots:
        if root in state or root not in fragments:
            continue
        stack = [(root, iter(set(spreads(fragments[root].selection_set))))]
        state[root] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[name] = 2
                order.append(name)
            elif child in fragments and child not in state:
                state[child] = 1
                stack.append((child, iter(set(spreads(fragments[child].selection_set)))))
    return order


def fold(document: Any, operations: list[OperationDefinitionNode], combine: Combine) -> dict[int, Any]:
    """Compute `combine(selection_set, value_of)` for every selection set of `operations` and the
    fragments they use, inner sets first, each fragment once. `value_of(node)` gives the value of a
    nested selection set, or of a spread fragment's (None when the spread is unknown or cyclic)."""
    fragments = fragments_of(document)
    values: dict[int, Any] = {}
    by_fragment: dict[str, Any] = {}

    def value_of(node: Any) -> Any:
        if isinstance(node, FragmentSpreadNode):
            return by_fragment.get(node.name.value)
        return values.get(id(node))

    roots = sorted({name for op in operations for name in spreads(op.selection_set)})
    definitions = [fragments[name] for name in fragment_order(fragments, roots)] + operations
    for definition in definitions:
        for selection_set in selection_sets(definition.selection_set):
            values[id(selection_set)] = combine(selection_set, value_of)
        if isinstance(definition, FragmentDefinitionNode):
            by_fragment[definition.name.value] = values[id(definition.selection_set)]
    return values


def operations_of(document: Any) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def first_variables(document: Any, operation: OperationDefinitionNode) -> set[str]:
    """The variables the page sizes read (`first`, and `last`, which costs the same): a cost is kept per
    combination of their values, so a cost reckoned for a small `last` is never reused for a large one."""
    fragments = fragments_of(document)
    owners = [operation] + [
        fragments[n] for n in fragment_order(fragments, sorted(set(spreads(operation.selection_set))))
    ]
    names: set[str] = set()
    for owner in owners:
        for selection_set in selection_sets(owner.selection_set):
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    for argument in selection.arguments or ():
                        if argument.name.value in ("first", "last") and isinstance(argument.value, VariableNode):
                            names.add(argument.value.name.value)
    return names


def selected_operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = operations_of(document)
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)
