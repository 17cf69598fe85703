"""What the tests share, one module per kind of thing (fixtures stay in the conftest.py files):

- accounts: PASSWORD, Account, `fast_account` (cheap hash, inserted directly), `UserFactory` (the `users`
  fixture), the PRINCIPALS the authorization tests try and a `credential` for each
- graphql: the `gql` fixture's client, `error_codes`, `refused`
- database: creating and dropping test databases, one-off SQL, snapshots and row counts, the SQL
  statements a request sends
- server: `main.py` in a subprocess, one-shot commands and `serve` (also used by benchmarks/)
- realtime: a server on a test database, WebSocket subscribers, /healthz polling
- orders, tickets, presale: documents, set-ups through the services and snapshots of each domain
"""
