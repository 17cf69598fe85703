"""Every input value of an operation in one pass, literals and variables: strings PostgreSQL cannot store,
strings over the cap of the name they are given to, lists (and objects) with too many items."""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    VariableNode,
)

from schema.limits.caps import Limits
from schema.limits.documents import fragment_order, fragments_of, selection_sets, spreads
from services.i18n import T

MAX_INPUT_ERRORS = 10  # reported per request; the first ones are enough to fix the request


class InputRefused(GraphQLError):
    def __init__(self, message: str, nodes: Any = None, **where: str):
        super().__init__(message, nodes=nodes, extensions={"code": "BAD_USER_INPUT", **where})


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return T("contains a NUL character (U+0000), which cannot be stored")
    return T("contains a lone surrogate (U+{code}), which is not valid Unicode", code=format(ord(char), "04X"))


def _label(path: tuple[Any, ...]) -> str:
    """((((), "input"), "contacts"), 0), "name") -> input.contacts[0].name (paths are linked pairs)."""
    parts: list[Any] = []
    while path:
        path, key = path
        parts.append(key)
    text = ""
    for key in reversed(parts):
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


class InputCheck:
    """One pass over every input of an operation: literal values in the document, then variable values."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.errors: list[GraphQLError] = []
        self.usages: dict[str, str] = {}  # variable -> the name of the place it is used with the smallest cap

    def full(self) -> bool:
        return len(self.errors) >= MAX_INPUT_ERRORS

    def refuse(self, problem: str, path: tuple[Any, ...], nodes: Any, **where: str) -> None:
        if self.full():
            return
        label = _label(path)
        where = {"variable": label} if label.startswith("$") else {"argument": label, **where}
        self.errors.append(InputRefused(T("`{label}` {problem}", label=label, problem=problem), nodes, **where))

    # Literals --------------------------------------------------------------------------------

    def literal(self, node: Any, name: str, path: tuple[Any, ...], where: dict[str, str]) -> None:
        stack = [(node, name, path)]
        while stack and not self.full():
            node, name, path = stack.pop()
            if isinstance(node, StringValueNode):
                self.text(node.value, name, path, node, where)
            elif isinstance(node, VariableNode):
                var = node.name.value
                if var not in self.usages or self.limits.string_cap(name) < self.limits.string_cap(self.usages[var]):
                    self.usages[var] = name
            elif isinstance(node, ListValueNode):
                if len(node.values) > self.limits.max_list_length:
                    self.refuse(T("has more than {n} items", n=self.limits.max_list_length), path, node, **where)
                else:
                    stack.extend((v, name, (path, i)) for i, v in enumerate(node.values))
            elif isinstance(node, ObjectValueNode):
                stack.extend((f.value, f.name.value, (path, f.name.value)) for f in node.fields)

    def text(self, value: str, name: str, path: tuple[Any, ...], nodes: Any, where: dict[str, str]) -> None:
        cap = self.limits.string_cap(name)
        if len(value) > cap:
            self.refuse(T("is longer than {n} characters", n=format(cap, ",")), path, nodes, **where)
        elif problem := _unstorable(value):
            self.refuse(problem, path, nodes, **where)

    def arguments(self, owner: Any, where: dict[str, str]) -> None:
        for argument in owner.arguments or ():
            self.literal(argument.value, argument.name.value, ((), argument.name.value), where)

    def directives(self, owner: Any) -> None:
        for directive in owner.directives or ():
            self.arguments(directive, {"field": f"@{directive.name.value}"})

    def document(self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> None:
        roots = sorted(set(spreads(operation.selection_set)))
        owners = [operation] + [fragments[name] for name in fragment_order(fragments, roots)]
        for owner in owners:
            self.directives(owner)
            for selection_set in selection_sets(owner.selection_set):
                for selection in selection_set.selections:
                    self.directives(selection)
                    if isinstance(selection, FieldNode):
                        self.arguments(selection, {"field": selection.name.value})

    # Variables -------------------------------------------------------------------------------

    def variables(self, operation: OperationDefinitionNode, values: dict[str, Any]) -> None:
        for definition in operation.variable_definitions or ():
            var = definition.variable.name.value
            name = self.usages.get(var, "")
            if definition.default_value is not None:
                self.literal(definition.default_value, name, ((), f"${var}"), {})
            if var in values:
                self.value(values[var], self.limits.string_cap(name), ((), f"${var}"), definition)

    def value(self, value: Any, cap: int, path: tuple[Any, ...], node: Any) -> None:
        """A variable's value as it came in (JSON): strings, lists and objects at any depth, object keys
        included (an unknown key is echoed in the coercion error). Iterative: no recursion limit."""
        limits = self.limits
        stack = [(value, cap, path)]
        while stack and not self.full():
            value, cap, path = stack.pop()
            if isinstance(value, str):
                if len(value) > cap:
                    self.refuse(T("is longer than {n} characters", n=format(cap, ",")), path, node)
                elif problem := _unstorable(value):
                    self.refuse(problem, path, node)
            elif isinstance(value, (list, tuple)):
                if len(value) > limits.max_list_length:
                    self.refuse(T("has more than {n} items", n=limits.max_list_length), path, node)
                else:
                    stack.extend((v, cap, (path, i)) for i, v in enumerate(value))
            elif isinstance(value, dict):
                if len(value) > limits.max_list_length:
                    self.refuse(T("has more than {n} fields", n=limits.max_list_length), path, node)
                    continue
                for key, item in value.items():
                    key = str(key)
                    if len(key) > limits.max_name_length or _unstorable(key):
                        self.refuse("has a field name that is not a valid name", path, node)
                    else:
                        stack.append((item, limits.string_cap(key), (path, key)))


def check_inputs(
    limits: Limits, document: Any, operation: OperationDefinitionNode, variables: dict[str, Any] | None
) -> list[GraphQLError]:
    check = InputCheck(limits)
    check.document(operation, fragments_of(document))
    check.variables(operation, variables or {})
    return check.errors
