"""GraphQL errors in the caller's language: an error raised with a message of services/i18n.py is
rendered where the response leaves (schema/errors.py for execution results, schema/limits/extension.py
for the errors found before execution)."""

from __future__ import annotations

from graphql import GraphQLError

from services import i18n


def translated(error: GraphQLError, language: str) -> GraphQLError:
    """`error` with its message in `language` when it was raised with a message of services/i18n.py
    (graphql-core copies the message of an error raised in a resolver into a plain `str`: the original
    error still holds the text). A copy: validation errors are cached and shared by later requests in
    other languages. Codes, paths and extensions stay as they are."""
    message: object = error.message
    original = error.original_error
    if not isinstance(message, (i18n.Text, i18n.Joined)) and isinstance(original, GraphQLError):
        message = original.message
    if not isinstance(message, (i18n.Text, i18n.Joined)):
        return error
    return GraphQLError(
        message.render(language),
        nodes=error.nodes,
        source=error.source if error.nodes is None else None,
        positions=error.positions if error.nodes is None else None,
        path=error.path,
        original_error=original,
        extensions=error.extensions,
    )


def all_translated(errors: list[GraphQLError], language: str) -> list[GraphQLError]:
    return [translated(error, language) for error in errors]
