"""Reads compiled to SQL (issue 9): a validated query operation becomes ONE statement that returns the
finished JSON, cached per (document, operation, variable shape, permission scope).

- `mapping`: GraphQL type -> table, field -> column / expression / relation, and which fields are gated.
- `sql`: SQL building blocks that must match the reference byte for byte (timestamps, global ids, cursors).
- `roots`, `lists`, `nodes`: the root fields it answers (`ROOTS` in lists.py): each list's filters,
  ordering and cursors as its repository has them; `node(id:)` over every mapped Node type.
- `planner`: walks the operation (fragments, aliases, @include/@skip) and builds the statement.
- `credentials`: a credential that authenticated once is checked again inside each later statement.
- `executor`: the cache, the switch (`TANDEM_READ_EXECUTOR`), the counts, running and comparing
  (web/compiled_http.py is the HTTP short way in front of it).

Anything the planner does not know runs on strawberry (the reference executor), whole operation at a time.
"""
