"""The GraphQL schema: every root field with who may use it, and the execution extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from schema.errors import MaskUnexpectedErrors
from schema.fanout import FanoutExecutor
from schema.limits import Limits, RequestLimits, validation_rules
from schema.roots import foundation, orders, presale, realtime, tickets

# Each domain contributes its root fields as a base class; a domain's module owns its fields.
ROOTS = [foundation, orders, tickets, presale]


@strawberry.type
class Query(*(r.Query for r in ROOTS)):  # type: ignore[misc]
    pass


@strawberry.type
class Mutation(*(r.Mutation for r in ROOTS)):  # type: ignore[misc]
    pass


# Every type that `node(id:)` resolves, by GraphQL type name.
NODE_TYPES: dict[str, Any] = {t.__name__: t for r in ROOTS for t in r.NODE_TYPES}


class TandemSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Logging happens in MaskUnexpectedErrors, with the request id; client mistakes are not logged.

        Without introspection (production) no error may suggest names either. Strawberry strips the
        suggestion only from unknown-field errors; unknown arguments, types, input fields and enum
        values would otherwise still spell out the schema ("Did you mean 'first'?").
        """
        if self.config.disable_field_suggestions:
            for error in errors:
                if "Did you mean" in error.message:
                    error.message = error.message.split("Did you mean")[0].strip()


def build_schema(*, production: bool = False, settings: Any = None, limits: Limits | None = None) -> strawberry.Schema:
    """`settings` (or `limits`) give the limits of settings.py; without them, its defaults."""
    limits = limits or Limits.from_settings(settings)
    # The rule classes are made once per schema: the validation cache is keyed on them, and limiters
    # built per request would make a new class each time, so the cache would never hit.
    rules = validation_rules(limits)
    extensions: list[Any] = [
        MaskUnexpectedErrors,
        # Factories: the caches themselves live at module level and are shared by all requests.
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        # After validation, before execution: every input value and the query's cost (schema/limits.py).
        lambda: RequestLimits(limits=limits),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return TandemSchema(
        query=Query,
        mutation=Mutation,
        subscription=realtime.Subscription,
        types=[*NODE_TYPES.values(), *realtime.TYPES],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        execution_context_class=FanoutExecutor,
    )
