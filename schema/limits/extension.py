"""`RequestLimits`: after validation, before execution, every input value and then the query's cost,
with what does not depend on the variables kept per parsed document."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.limits.caps import Limits
from schema.limits.cost import QueryTooComplex, query_cost
from schema.limits.documents import first_variables, fragments_of, selected_operation
from schema.limits.inputs import InputCheck, check_inputs
from schema.translation import all_translated
from services.i18n import ENGLISH


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
        language = getattr(ctx.context, "language", ENGLISH)
        if ctx.pre_execution_errors and language != ENGLISH:  # the limits' words in the caller's language
            ctx.pre_execution_errors = all_translated(ctx.pre_execution_errors, language)
        yield

    def _check(self) -> None:
        ctx = self.execution_context
        document = ctx.graphql_document
        if ctx.pre_execution_errors or document is None:
            return  # invalid documents are refused as they are
        operation = selected_operation(document, ctx.operation_name)
        if operation is None:
            return  # graphql-core reports the missing operation
        variables = ctx.variables if isinstance(ctx.variables, dict) else {}
        schema = ctx.schema._schema
        analysis = _analysis(self.limits, schema, document, operation)
        if analysis is None:  # the document's own literals are refused: nothing worth keeping
            ctx.pre_execution_errors = check_inputs(self.limits, document, operation, variables)
            return
        check = InputCheck(self.limits)
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
        self.first_variables = sorted(first_variables(document, operation))
        self.costs: dict[tuple[str, ...], int] = {}

    def cost(self, variables: dict[str, Any]) -> int:
        key = tuple(repr(variables[name]) if name in variables else "-" for name in self.first_variables)
        cost = self.costs.get(key)
        if cost is None:
            cost = query_cost(self.schema, self.document, self.operation, variables)
            if len(self.costs) >= 64:
                self.costs.clear()
            self.costs[key] = cost
        return cost


_ANALYSES: OrderedDict[tuple[int, ...], _Analysis] = OrderedDict()
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
    check = InputCheck(limits)
    check.document(operation, fragments_of(document))
    if check.errors:
        return None
    entry = _ANALYSES[key] = _Analysis(limits, schema, document, operation, check.usages)
    if len(_ANALYSES) > _MAX_ANALYSES:
        _ANALYSES.popitem(last=False)
    return entry
