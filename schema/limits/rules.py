"""Validation rules bounding an operation's depth, aliases and directives (cached with the document)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationRule,
)

from schema.limits.caps import Limits
from schema.limits.documents import fold, operations_of
from services.i18n import T


def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """Fields nested deeper than `max_depth` below the root fields (introspection fields are not
    followed); the same measure and message as strawberry's QueryDepthLimiter."""

    def levels(selection_set: SelectionSetNode, value_of: Callable[[Any], Any]) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, value_of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):  # fragments add no level of their own
                deepest = max(deepest, (value_of(selection) or 1) - 1)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, (value_of(selection.selection_set) or 1) - 1)
        return 1 + deepest

    class MaxDepth(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            operations = operations_of(context.document)
            values = fold(context.document, operations, levels)
            for operation in operations:
                if values[id(operation.selection_set)] - 1 > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            T(
                                "'{name}' exceeds maximum operation depth of {max_depth}",
                                name=name,
                                max_depth=max_depth,
                            ),
                            operation,
                            extensions={"code": "QUERY_TOO_DEEP"},
                        )
                    )

    return MaxDepth


def alias_rule(max_aliases: int) -> type[ASTValidationRule]:
    """Aliased fields of all operations, a fragment counted at each of its spreads; strawberry's message."""

    def aliases(selection_set: SelectionSetNode, value_of: Callable[[Any], Any]) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += value_of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += value_of(selection) or 0
            elif isinstance(selection, InlineFragmentNode):
                count += value_of(selection.selection_set)
        return count

    class MaxAliases(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            operations = operations_of(context.document)
            values = fold(context.document, operations, aliases)
            total = sum(values[id(op.selection_set)] for op in operations)
            if total > max_aliases:
                context.report_error(
                    GraphQLError(
                        T("{total} aliases found. Allowed: {max_aliases}", total=total, max_aliases=max_aliases),
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return MaxAliases


def directive_rule(max_directives: int) -> type[ASTValidationRule]:
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
                        T("more than {n} directives found. Allowed: {n}", n=max_directives),
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return MaxDirectives


def validation_rules(limits: Limits) -> list[type[ASTValidationRule]]:
    """Built once per schema: the validation cache is keyed on these classes."""
    return [depth_rule(limits.max_depth), alias_rule(limits.max_aliases), directive_rule(limits.max_directives)]
