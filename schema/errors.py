"""Error masking: expected errors reach the client as they are; anything unexpected is logged with
the request id and replaced by a generic error that carries only that id."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

log = logging.getLogger("tandem.graphql")


def is_expected(error: GraphQLError) -> bool:
    """Syntax/validation errors and errors we raise on purpose (all GraphQLErrors) are the client's
    to see; an exception of any other class escaping a resolver is a bug."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class MaskUnexpectedErrors(SchemaExtension):
    """Masks query and mutation results at the end of the operation, and each result of a
    subscription before it is sent (subscriptions yield many results within one operation)."""

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._mask(self.execution_context.result)

    def on_stream_result(self, result) -> Iterator[None]:
        self._streamed = True
        self._mask(result)
        yield None

    def _mask(self, result) -> None:
        if not result or not getattr(result, "errors", None):
            return
        request_id = getattr(self.execution_context.context, "request_id", "-")
        masked = []
        for error in result.errors:
            if is_expected(error):
                masked.append(error)
                continue
            log.error("unexpected error in %s (request %s)", error.path, request_id, exc_info=error.original_error)
            masked.append(
                GraphQLError(
                    f"Internal server error (request id {request_id})",
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            )
        result.errors = masked
