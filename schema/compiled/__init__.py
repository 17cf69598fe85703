"""Reads compiled to SQL (issue 9): a validated query operation becomes ONE statement that returns the
finished JSON, cached per (document, operation, variable shape, permission scope).

- `mapping`: GraphQL type -> table, field -> column / expression / relation, and which fields are gated.
- `sql`: SQL building blocks that must match the reference byte for byte (timestamps, global ids, cursors).
- `planner`: walks the operation (fragments, aliases, @include/@skip) and builds the statement.
- `executor`: the cache, the switch (`TANDEM_READ_EXECUTOR`), the counts, running and comparing.

Anything the planner does not know runs on strawberry (the reference executor), whole operation at a time.
"""
