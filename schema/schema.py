"""The GraphQL schema: every root field with who may use it, and the execution extensions."""

from __future__ import annotations

from types import ModuleType
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
from schema.roots import (
    accounts,
    action_items,
    audit,
    auth,
    comments,
    customers,
    events,
    feedback,
    kpis,
    market_intel,
    meetings,
    nodes,
    notifications,
    orders,
    presale,
    reports,
    sales_targets,
    service_jobs,
    surveys,
    tickets,
)

# Every domain's root module (schema/roots/<domain>.py), once: a new domain is imported above and listed
# here, and is composed into the schema by that alone. Root fields appear in the SDL (schema.graphql) in
# this order, each domain's in the order its module declares them.
ROOTS: list[ModuleType] = [
    nodes,
    auth,
    customers,
    accounts,
    events,
    orders,
    service_jobs,
    feedback,
    tickets,
    presale,
    sales_targets,
    kpis,
    comments,
    action_items,
    surveys,
    market_intel,
    meetings,
    notifications,
    reports,
    audit,
]


def _parts(name: str) -> tuple[type, ...]:
    return tuple(getattr(root, name) for root in ROOTS if hasattr(root, name))


@strawberry.type
class Query(*_parts("Query")):  # type: ignore[misc]  # bases computed from ROOTS
    pass


@strawberry.type
class Mutation(*_parts("Mutation")):  # type: ignore[misc]  # bases computed from ROOTS
    pass


@strawberry.type
class Subscription(*_parts("Subscription")):  # type: ignore[misc]  # bases computed from ROOTS
    pass


# The types the schema must include although no field names them: those `node(id:)` resolves, and
# those reachable only through an interface.
TYPES: list[type] = [t for root in ROOTS for t in (*getattr(root, "NODE_TYPES", ()), *getattr(root, "TYPES", ()))]


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
        subscription=Subscription,
        types=TYPES,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        execution_context_class=FanoutExecutor,
    )
