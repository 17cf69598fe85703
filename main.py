"""Tandem: the ASGI app factory and the command line (`python main.py <command>` or `tandem <command>`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from services.rules.accounts import API_KEY_SCOPES, DEPARTMENTS, ROLES
from settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from services.unit_of_work import UnitOfWork

log = logging.getLogger("tandem")
T = TypeVar("T")


def app() -> Starlette:
    """ASGI app factory for uvicorn (`uvicorn --factory main:app`)."""
    import gc

    from web.app import create_app

    application = create_app(Settings.from_env())
    # Everything loaded so far (modules, the schema, SQLAlchemy's metadata) lives as long as the
    # process: moved out of the collector's reach, a full collection under load takes ~5 ms instead
    # of ~90 ms, a pause every request in flight would wait for (the read benchmark's p99).
    gc.collect()
    gc.freeze()
    return application


class CommandError(Exception):
    """A one-line reason for the operator; the command exits 1."""


@contextlib.contextmanager
def database_url(settings: Settings, *, share_running: bool = True) -> Iterator[str]:
    """The configured DATABASE_URL, or an embedded PostgreSQL in the data folder for the command's life.

    One-shot commands (create-user, seed-demo …) run while `serve` owns the embedded server use
    that server instead of failing; a second `serve` on the same data folder is refused.
    """
    if settings.database_url:
        yield settings.database_url
        return
    from db.embedded import EmbeddedPostgres, EmbeddedPostgresError, EmbeddedPostgresInUse

    server = EmbeddedPostgres(settings.data_dir)
    try:
        url = server.start()
    except EmbeddedPostgresInUse as exc:
        if share_running and (server.socket_dir / ".s.PGSQL.5432").exists():
            yield server.url
            return
        raise CommandError(f"embedded PostgreSQL: {exc}") from None
    except EmbeddedPostgresError as exc:
        raise CommandError(f"embedded PostgreSQL: {exc}") from None
    try:
        yield url
    finally:
        server.stop()


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except OSError as exc:  # connection refused, no such socket, DNS failure
        raise CommandError(f"cannot reach the database: {exc}") from None


def _migrate(url: str) -> None:
    from db.migrate import upgrade

    try:
        upgrade(url)
    except OSError as exc:
        raise CommandError(f"cannot reach the database: {exc}") from None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from web.logging_setup import uvicorn_config

    log_level = os.environ.get("TANDEM_LOG_LEVEL", "info").lower()
    with database_url(settings, share_running=False) as url:
        _migrate(url)
        os.environ["DATABASE_URL"] = url  # workers (and the factory) read it from the environment
        os.environ.setdefault("TANDEM_SECRET_KEY", settings.resolved_secret_key())  # one key for all workers
        log.info("serving on http://%s:%s/graphql (%s)", args.host, args.port, settings.env)
        if settings.metrics and args.workers > 1:
            log.warning("GET /metrics: each of the %d workers answers with its own figures (README)", args.workers)
        uvicorn.run(
            "main:app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            # Compression costs ~50 KiB per idle WebSocket; wall boards keep sockets open for days.
            ws_per_message_deflate=False,
            # The HTTP body limit (web/body_limit.py) for WebSocket messages: uvicorn closes with 1009.
            ws_max_size=settings.max_body_bytes,
            proxy_headers=True,
            log_level=log_level,
            # TANDEM_LOG_FORMAT for uvicorn's access and error logs too, in every worker.
            log_config=uvicorn_config(settings.log_format, log_level),
        )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    with database_url(settings) as url:
        _migrate(url)
    print("migrations applied")


def _password(args: argparse.Namespace) -> str:
    given: str | None = args.password
    if given:
        return given
    if os.environ.get("TANDEM_PASSWORD"):
        return os.environ["TANDEM_PASSWORD"]
    if not sys.stdin.isatty():
        raise CommandError("no password: pass --password, set TANDEM_PASSWORD, or run in a terminal")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CommandError("the passwords do not match")
    return first


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> None:
    from services import accounts
    from services.accounts import NewUser

    password = _password(args)
    data = NewUser(
        email=args.email, name=args.name, department=args.department.upper(), role=args.role.upper(), password=password
    )
    with database_url(settings) as url:
        _migrate(url)
        user = _run_async(_in_transaction(url, lambda uow: accounts.create_user(uow, data)))
    print(f"created user {user.email} ({user.department} {user.role}) id={user.id}")


def cmd_create_api_key(args: argparse.Namespace, settings: Settings) -> None:
    from services import accounts

    with database_url(settings) as url:
        _migrate(url)
        row, secret = _run_async(_in_transaction(url, lambda uow: accounts.create_api_key(uow, args.name, args.scope)))
    print(f"created {row.scope} API key {row.name!r}; it is shown only this once:")
    print(secret)


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> None:
    from services.demo_people import DEMO_PASSWORD

    with database_url(settings) as url:
        _migrate(url)
        logins = _run_async(_seed(url, args.customers, args.if_empty, settings.event_retention_days, args.bulk))
    if logins is None:
        print("database already has users; demo data not added (drop --if-empty to add anyway)")
        return
    print(f"demo data created; every demo account's password is {DEMO_PASSWORD!r}")
    for email, department, role in logins:
        print(f"  {email:<34} {department:<11} {role}")


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from schema.schema import build_schema

    print(build_schema(settings=settings).as_str())


async def _in_transaction(url: str, action: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    from db.session import Database
    from services.clock import SystemClock
    from services.errors import DomainError
    from services.unit_of_work import unit_of_work

    db = Database.connect(url, pool_size=2)
    try:
        async with unit_of_work(db.sessions, None, SystemClock()) as uow:
            return await action(uow)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    finally:
        await db.dispose()


async def _seed(
    url: str, customers: int, if_empty: bool, retention_days: int, bulk: bool | None = None
) -> list[tuple[str, str, str]] | None:
    from db.session import Database
    from services import demo
    from services.clock import SystemClock

    db = Database.connect(url, pool_size=2)
    try:
        return await demo.seed(
            db.sessions,
            SystemClock(),
            customers=customers,
            only_if_empty=if_empty,
            event_retention_days=retention_days,
            bulk=bulk,
        )
    finally:
        await db.dispose()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tandem", description="Tandem collaboration backend")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="apply migrations, then serve HTTP and WebSocket GraphQL")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="apply pending migrations and exit").set_defaults(handler=cmd_migrate)

    u = sub.add_parser("create-user", help="create a staff account")
    u.add_argument("--email", required=True)
    u.add_argument("--name", required=True)
    u.add_argument("--department", required=True, type=str.upper, choices=DEPARTMENTS)
    u.add_argument("--role", required=True, type=str.upper, choices=ROLES)
    u.add_argument("--password", help="default: $TANDEM_PASSWORD, else a prompt")
    u.set_defaults(handler=cmd_create_user)

    k = sub.add_parser("create-api-key", help="create an API key and print it once")
    k.add_argument("--name", required=True)
    k.add_argument("--scope", required=True, choices=API_KEY_SCOPES)
    k.set_defaults(handler=cmd_create_api_key)

    d = sub.add_parser("seed-demo", help="fill the database with realistic demo data")
    d.add_argument("--customers", type=int, default=40)
    d.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
    d.add_argument(
        "--bulk",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write 12 months set-wise (benchmarks; default above 200 customers) instead of through the services",
    )
    d.set_defaults(handler=cmd_seed_demo)

    sub.add_parser("schema", help="print the GraphQL schema (SDL)").set_defaults(handler=cmd_schema)
    return p


def cli(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        from web.logging_setup import configure

        configure(settings.log_format, os.environ.get("TANDEM_LOG_LEVEL", "info"))
        if getattr(args, "workers", 1) < 1 or not (0 < getattr(args, "port", 1) < 65536):
            raise CommandError("--workers must be at least 1 and --port between 1 and 65535")
        args.handler(args, settings)
    except CommandError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except ValueError as exc:  # configuration errors from Settings
        print(f"tandem: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    cli()
