"""What one request may ask for, checked before anything executes (settings.py "Limits").

- Validation rules (cached with the document, built once per schema): operation depth, aliases and
  directives. Each visits every definition once; fragments are folded in topological order, so a
  document whose fragments spread each other many times costs what its text costs (strawberry's own
  depth and alias limiters follow every spread anew: 19 fragments spreading the next one twice took
  them seconds, and a chain of 300 fragments overflowed the stack: a masked 500 with a traceback).
- `RequestLimits`, a schema extension that runs after validation, once per request, for queries,
  mutations and subscriptions:
  * every input value, literal arguments in the document and variable values alike, in one pass:
    strings PostgreSQL cannot store (NUL, lone surrogates), strings longer than the cap of the
    argument or input field they are given to (`STRING_CAPS`), lists with too many items;
  * the estimated cost of the operation (`query_cost`) against `max_query_cost`.
  A refusal is a GraphQL error (BAD_USER_INPUT, QUERY_TOO_COMPLEX) and nothing executes. What does
  not depend on the variables is kept per parsed document (`_Analysis`), so a repeated query pays
  only for walking its variables.
- Statement timeouts: `timed_out` / `timeout_error` turn a statement PostgreSQL cancelled (sqlstate
  57014, `statement_timeout` of the app engine, see db/session.py) into a TIMEOUT error.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits the schema enforces; the defaults are those of `settings.Settings`."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_directives: int
    max_query_cost: int
    max_string_length: int
    max_search_length: int
    max_name_length: int
    max_list_length: int

    @classmethod
    def from_settings(cls, settings: Any = None) -> Limits:
        if settings is None:
            from settings import Settings

            defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
            return cls(**{f.name: defaults[f.name] for f in dataclasses.fields(cls)})
        return cls(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)})

    def string_cap(self, name: str | None) -> int:
        kind = STRING_CAPS.get(name or "", TEXT)
        return {SEARCH: self.max_search_length, SHORT: self.max_name_length}.get(kind, self.max_string_length)


# ----------------------------------------------------------------------------- the caps table

SEARCH, SHORT, TEXT = "search", "short", "text"

# The cap of a string, by the name of the argument or input field it is given to (a list's items take
# the list's name). Short: names, identifiers and keys; the services' own rules (e.g. names ≤ 200,
# emails ≤ 320) still answer with VALIDATION user errors below the cap. Text: prose; the longest the
# services accept is 20,000 (ticket descriptions, comments, notes, plans). Any other name: TEXT.
STRING_CAPS: dict[str, str] = {
    "search": SEARCH,
    **dict.fromkeys(
        (
            "name",
            "title",
            "subject",
            "label",
            "email",
            "password",
            "idempotencyKey",
            "code",
            "phone",
            "industry",
            "region",
            "productModel",
            "confirmedBy",
            "rootCause",
            "priority",
            "deliveryDate",
        ),
        SHORT,
    ),
    **dict.fromkeys(
        (
            "description",
            "body",
            "notes",
            "preparationNotes",
            "specialRequirements",
            "comment",
            "comments",
            "plan",
            "reason",
            "resolutionSummary",
            "summary",
            "details",
            "technicalFeasibility",
            "serviceability",
        ),
        TEXT,
    ),
}

MAX_INPUT_ERRORS = 10  # reported per request; the first ones are enough to fix the request


class InputRefused(GraphQLError):
    def __init__(self, message: str, nodes: Any = None, **where: str):
        super().__init__(message, nodes=nodes, extensions={"code": "BAD_USER_INPUT", **where})


class QueryTooComplex(GraphQLError):
    def __init__(self, cost: int, limit: int, node: Any = None):
        super().__init__(
            f"query cost {cost:,} exceeds the limit of {limit:,}",
            nodes=node,
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit},
        )


# ----------------------------------------------------------------------------- documents


def _selection_sets(root: SelectionSetNode) -> list[SelectionSetNode]:
    """Every selection set inside one definition, each after all the ones nested in it (iterative)."""
    pre_order, stack = [], [root]
    while stack:
        node = stack.pop()
        pre_order.append(node)
        stack.extend(s.selection_set for s in node.selections if getattr(s, "selection_set", None))
    pre_order.reverse()
    return pre_order


def _spreads(root: SelectionSetNode) -> Iterator[str]:
    for selection_set in _selection_sets(root):
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value


def _fragments(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _fragment_order(fragments: dict[str, FragmentDefinitionNode], roots: list[str]) -> list[str]:
    """The fragments reachable from `roots`, each after the fragments it spreads. A spread that closes
    a cycle is left out (validation refuses cycles; this only has to terminate)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for root in roots:
        if root in state or root not in fragments:
            continue
        stack = [(root, iter(set(_spreads(fragments[root].selection_set))))]
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
                stack.append((child, iter(set(_spreads(fragments[child].selection_set)))))
    return order


def _fold(document: Any, operations: list[OperationDefinitionNode], combine) -> dict[int, Any]:
    """Compute `combine(selection_set, value_of)` for every selection set of `operations` and the
    fragments they use, inner sets first, each fragment once. `value_of(node)` gives the value of a
    nested selection set, or of a spread fragment's (None when the spread is unknown or cyclic)."""
    fragments = _fragments(document)
    values: dict[int, Any] = {}
    by_fragment: dict[str, Any] = {}

    def value_of(node: Any) -> Any:
        if isinstance(node, FragmentSpreadNode):
            return by_fragment.get(node.name.value)
        return values.get(id(node))

    roots = sorted({name for op in operations for name in _spreads(op.selection_set)})
    definitions = [fragments[name] for name in _fragment_order(fragments, roots)] + operations
    for definition in definitions:
        for selection_set in _selection_sets(definition.selection_set):
            values[id(selection_set)] = combine(selection_set, value_of)
        if isinstance(definition, FragmentDefinitionNode):
            by_fragment[definition.name.value] = values[id(definition.selection_set)]
    return values


def _operations(document: Any) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


# ----------------------------------------------------------------------------- validation rules


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """Fields nested deeper than `max_depth` below the root fields (introspection fields are not
    followed); the same measure and message as strawberry's QueryDepthLimiter."""

    def levels(selection_set: SelectionSetNode, value_of) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, value_of(selection.selection_set))
            else:  # fragments add no level of their own
                inner = value_of(selection if isinstance(selection, FragmentSpreadNode) else selection.selection_set)
                deepest = max(deepest, (inner or 1) - 1)
        return 1 + deepest

    class MaxDepth(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            operations = _operations(context.document)
            values = _fold(context.document, operations, levels)
            for operation in operations:
                if values[id(operation.selection_set)] - 1 > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            operation,
                            extensions={"code": "QUERY_TOO_DEEP"},
                        )
                    )

    return MaxDepth


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """Aliased fields of all operations, a fragment counted at each of its spreads; strawberry's message."""

    def aliases(selection_set: SelectionSetNode, value_of) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += value_of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += value_of(selection) or 0
            else:
                count += value_of(selection.selection_set)
        return count

    class MaxAliases(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            operations = _operations(context.document)
            values = _fold(context.document, operations, aliases)
            total = sum(values[id(op.selection_set)] for op in operations)
            if total > max_aliases:
                context.report_error(
                    GraphQLError(
                        f"{total} aliases found. Allowed: {max_aliases}", extensions={"code": "QUERY_TOO_COMPLEX"}
                    )
                )

    return MaxAliases


def directive_rule(max_directives: int) -> type[ValidationRule]:
    """Directives written anywhere in the document (each costs validation and execution work)."""

    class MaxDirectives(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: Any, *_args: Any) -> None:
            self.count += 1
            if self.count == max_directives + 1:
                self.report_error(
                    GraphQLError(
                        f"more than {max_directives} directives found. Allowed: {max_directives}",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return MaxDirectives


def validation_rules(limits: Limits) -> list[type[ValidationRule]]:
    """Built once per schema: the validation cache is keyed on these classes."""
    return [depth_rule(limits.max_depth), alias_rule(limits.max_aliases), directive_rule(limits.max_directives)]


# ----------------------------------------------------------------------------- input values

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character (U+0000), which cannot be stored"
    return f"contains a lone surrogate (U+{ord(char):04X}), which is not valid Unicode"


def _label(path: tuple) -> str:
    """((((), "input"), "contacts"), 0), "name") -> input.contacts[0].name (paths are linked pairs)."""
    parts: list[Any] = []
    while path:
        path, key = path
        parts.append(key)
    text = ""
    for key in reversed(parts):
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


class _InputCheck:
    """One pass over every input of an operation: literal values in the document, then variable values."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.errors: list[GraphQLError] = []
        self.usages: dict[str, str] = {}  # variable -> the name of the place it is used with the smallest cap

    def full(self) -> bool:
        return len(self.errors) >= MAX_INPUT_ERRORS

    def refuse(self, problem: str, path: tuple, nodes: Any, **where: str) -> None:
        if self.full():
            return
        label = _label(path)
        where = {"variable": label} if label.startswith("$") else {"argument": label, **where}
        self.errors.append(InputRefused(f"`{label}` {problem}", nodes, **where))

    # Literals --------------------------------------------------------------------------------

    def literal(self, node: Any, name: str, path: tuple, where: dict[str, str]) -> None:
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
                    self.refuse(f"has more than {self.limits.max_list_length} items", path, node, **where)
                else:
                    stack.extend((v, name, (path, i)) for i, v in enumerate(node.values))
            elif isinstance(node, ObjectValueNode):
                stack.extend((f.value, f.name.value, (path, f.name.value)) for f in node.fields)

    def text(self, value: str, name: str, path: tuple, nodes: Any, where: dict[str, str]) -> None:
        cap = self.limits.string_cap(name)
        if len(value) > cap:
            self.refuse(f"is longer than {cap:,} characters", path, nodes, **where)
        elif problem := _unstorable(value):
            self.refuse(problem, path, nodes, **where)

    def arguments(self, owner: Any, where: dict[str, str]) -> None:
        for argument in owner.arguments or ():
            self.literal(argument.value, argument.name.value, ((), argument.name.value), where)

    def directives(self, owner: Any) -> None:
        for directive in owner.directives or ():
            self.arguments(directive, {"field": f"@{directive.name.value}"})

    def document(self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> None:
        roots = sorted(set(_spreads(operation.selection_set)))
        owners = [operation] + [fragments[name] for name in _fragment_order(fragments, roots)]
        for owner in owners:
            self.directives(owner)
            for selection_set in _selection_sets(owner.selection_set):
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

    def value(self, value: Any, cap: int, path: tuple, node: Any) -> None:
        """A variable's value as it came in (JSON): strings, lists and objects at any depth, object keys
        included (an unknown key is echoed in the coercion error). Iterative: no recursion limit."""
        limits = self.limits
        stack = [(value, cap, path)]
        while stack and not self.full():
            value, cap, path = stack.pop()
            if isinstance(value, str):
                if len(value) > cap:
                    self.refuse(f"is longer than {cap:,} characters", path, node)
                elif problem := _unstorable(value):
                    self.refuse(problem, path, node)
            elif isinstance(value, (list, tuple)):
                if len(value) > limits.max_list_length:
                    self.refuse(f"has more than {limits.max_list_length} items", path, node)
                else:
                    stack.extend((v, cap, (path, i)) for i, v in enumerate(value))
            elif isinstance(value, dict):
                if len(value) > limits.max_list_length:
                    self.refuse(f"has more than {limits.max_list_length} fields", path, node)
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
    check = _InputCheck(limits)
    check.document(operation, _fragments(document))
    check.variables(operation, variables or {})
    return check.errors


# ----------------------------------------------------------------------------- query cost


def _first(field: FieldNode, variables: dict[str, Any], defaults: dict[str, Any]) -> int:
    """The page size a connection field will be asked for (as page_size() will read it)."""
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
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
    return DEFAULT_PAGE_SIZE


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
    fragments = _fragments(document)
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

    def cost(selection_set: SelectionSetNode, value_of) -> int:
        type_ = parent.get(id(selection_set))
        fields = getattr(type_, "fields", None) or {}
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total += value_of(selection) or 0
            elif isinstance(selection, InlineFragmentNode):
                total += value_of(selection.selection_set)
            elif not selection.name.value.startswith("__") and selection.selection_set:
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

    return _fold(document, [operation], cost)[id(operation.selection_set)]


def _literal_int(node: Any) -> Any:
    return int(node.value) if isinstance(node, IntValueNode) else None


# ----------------------------------------------------------------------------- the extension


class RequestLimits(SchemaExtension):
    """After validation, before execution: inputs, then cost. Errors found here become the
    operation's pre-execution errors, like validation errors, for queries, mutations and
    subscriptions alike.

    Strawberry checks for validation errors inside the validation hooks, so this runs before
    `yield`: after the ValidationCache (listed before it in build_schema) has validated, or, without
    that cache, after validating here itself (strawberry then skips its own validation).
    """

    def __init__(self, *, limits: Limits):
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.pre_execution_errors is None and ctx.graphql_document is not None and ctx.validation_rules:
            ctx.pre_execution_errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        self._check()
        yield

    def _check(self) -> None:
        ctx = self.execution_context
        document = ctx.graphql_document
        if ctx.pre_execution_errors or document is None:
            return  # invalid documents are refused as they are
        operation = _selected_operation(document, ctx.operation_name)
        if operation is None:
            return  # graphql-core reports the missing operation
        variables = ctx.variables if isinstance(ctx.variables, dict) else {}
        schema = ctx.schema._schema
        analysis = _analysis(self.limits, schema, document, operation)
        if analysis is None:  # the document's own literals are refused: nothing worth keeping
            ctx.pre_execution_errors = check_inputs(self.limits, document, operation, variables)
            return
        check = _InputCheck(self.limits)
        check.usages = analysis.usages
        check.variables(operation, variables)
        errors = check.errors
        if not errors:
            cost = analysis.cost(variables)
            if cost > self.limits.max_query_cost:
                errors = [QueryTooComplex(cost, self.limits.max_query_cost, operation)]
        if errors:
            ctx.pre_execution_errors = errors


class _Analysis:
    """What one operation of one parsed document always costs to check, whatever its variables (the
    parser cache hands out the same document for the same text): where its variables are used, and
    its cost for each combination of the variables its `first` arguments read."""

    def __init__(
        self,
        limits: Limits,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        usages: dict[str, str],
    ):
        self.limits, self.schema, self.document, self.operation = limits, schema, document, operation
        self.usages = usages
        self.first_variables = sorted(_first_variables(document, operation))
        self.costs: dict[tuple, int] = {}

    def cost(self, variables: dict[str, Any]) -> int:
        key = tuple(repr(variables[name]) if name in variables else "-" for name in self.first_variables)
        cost = self.costs.get(key)
        if cost is None:
            cost = query_cost(self.schema, self.document, self.operation, variables)
            if len(self.costs) >= 64:
                self.costs.clear()
            self.costs[key] = cost
        return cost


_ANALYSES: OrderedDict[tuple, _Analysis] = OrderedDict()
_MAX_ANALYSES = 512


def _analysis(
    limits: Limits, schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode
) -> _Analysis | None:
    key = (id(document), id(operation), id(limits), id(schema))
    entry = _ANALYSES.get(key)
    # Identity checks: the entry keeps its objects alive, so their ids cannot be reused meanwhile.
    if entry is not None and entry.document is document and entry.limits is limits and entry.schema is schema:
        _ANALYSES.move_to_end(key)
        return entry
    check = _InputCheck(limits)
    check.document(operation, _fragments(document))
    if check.errors:
        return None
    entry = _ANALYSES[key] = _Analysis(limits, schema, document, operation, check.usages)
    if len(_ANALYSES) > _MAX_ANALYSES:
        _ANALYSES.popitem(last=False)
    return entry


def _first_variables(document: Any, operation: OperationDefinitionNode) -> set[str]:
    fragments = _fragments(document)
    owners = [operation] + [
        fragments[n] for n in _fragment_order(fragments, sorted(set(_spreads(operation.selection_set))))
    ]
    names = set()
    for owner in owners:
        for selection_set in _selection_sets(owner.selection_set):
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    for argument in selection.arguments or ():
                        if argument.name.value == "first" and isinstance(argument.value, VariableNode):
                            names.add(argument.value.name.value)
    return names


def _selected_operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = _operations(document)
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


# ----------------------------------------------------------------------------- statement timeouts

QUERY_CANCELED = "57014"  # raised by statement_timeout
IN_FAILED_TRANSACTION = "25P02"  # later statements of a transaction whose statement was cancelled


def _sqlstate(exc: BaseException | None) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def timed_out(error: GraphQLError, errors: list[GraphQLError]) -> bool:
    """The error is a statement cancelled by statement_timeout, or a later statement of the same read
    snapshot that PostgreSQL refused because of it (when the cancelled one is among `errors`)."""
    state = _sqlstate(error.original_error)
    if state == QUERY_CANCELED:
        return True
    return state == IN_FAILED_TRANSACTION and any(_sqlstate(e.original_error) == QUERY_CANCELED for e in errors)


def timeout_error(error: GraphQLError, context: Any) -> GraphQLError:
    services = getattr(context, "services", None)
    ms = getattr(getattr(services, "db", None), "statement_timeout_ms", None)
    limit = f"longer than {ms} ms" if ms else "too long"
    return GraphQLError(
        f"the request took {limit} and was stopped",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "TIMEOUT", **({"timeoutMs": ms} if ms else {})},
    )
