"""What one request may ask for, checked before anything executes (settings.py "Limits").

- `rules`: validation rules (cached with the document, built once per schema): operation depth,
  aliases and directives. Each visits every definition once; fragments are folded in topological order
  (`documents`), so a document whose fragments spread each other many times costs what its text costs
  (strawberry's own depth and alias limiters follow every spread anew: 19 fragments spreading the next
  one twice took them seconds, and a chain of 300 fragments overflowed the stack: a masked 500 with a
  traceback).
- `extension.RequestLimits`, a schema extension that runs after validation, once per request, for
  queries, mutations and subscriptions:
  * every input value (`inputs`), literal arguments in the document and variable values alike, in one
    pass: strings PostgreSQL cannot store (NUL, lone surrogates), strings longer than the cap of the
    argument or input field they are given to (`caps.STRING_CAPS`), lists with too many items;
  * the estimated cost of the operation (`cost.query_cost`) against `max_query_cost`.
  A refusal is a GraphQL error (BAD_USER_INPUT, QUERY_TOO_COMPLEX) and nothing executes. What does
  not depend on the variables is kept per parsed document, so a repeated query pays only for walking
  its variables.
- `timeouts`: `timed_out` / `timeout_error` turn a statement PostgreSQL cancelled (sqlstate 57014,
  `statement_timeout` of the app engine, see db/session.py) into a TIMEOUT error.
"""

from __future__ import annotations

from schema.limits.caps import SEARCH, SHORT, STRING_CAPS, TEXT, Limits
from schema.limits.cost import QueryTooComplex, query_cost
from schema.limits.extension import RequestLimits
from schema.limits.inputs import MAX_INPUT_ERRORS, InputRefused, check_inputs
from schema.limits.rules import alias_rule, depth_rule, directive_rule, validation_rules
from schema.limits.timeouts import statement_cancelled, stopped, timed_out, timeout_error

__all__ = [
    "MAX_INPUT_ERRORS",
    "SEARCH",
    "SHORT",
    "STRING_CAPS",
    "TEXT",
    "InputRefused",
    "Limits",
    "QueryTooComplex",
    "RequestLimits",
    "alias_rule",
    "check_inputs",
    "depth_rule",
    "directive_rule",
    "query_cost",
    "statement_cancelled",
    "stopped",
    "timed_out",
    "timeout_error",
    "validation_rules",
]
