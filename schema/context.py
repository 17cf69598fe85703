"""The typed per-request (or per-WebSocket-connection) context every resolver receives."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from schema.loaders import DataLoaders
from services.auth import TokenService
from services.clock import Clock
from services.policy import Policy
from services.principal import Principal
from services.unit_of_work import EventAnnouncer

T = TypeVar("T")


@dataclass
class AppServices:
    """Process-wide singletons the app hands to every request."""

    db: Database
    clock: Clock
    tokens: TokenService
    announcer: EventAnnouncer | None = None
    settings: Any = None
    hub: Any = None  # services.realtime.hub.EventHub, set while the app runs
    policy: Policy | None = None  # the policy's configurable periods (from settings); None: the defaults


class ReadScope:
    """One read-only snapshot for a whole request, shared by all its resolvers and DataLoaders.

    REPEATABLE READ makes every read of one request agree (a board reads its tickets and the event
    cursor from the same snapshot). Resolvers run concurrently but an AsyncSession must not, so
    statements take turns through a lock; batching via DataLoaders keeps their number small.
    """

    def __init__(self, db: Database):
        self._db = db
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            if self._session is None:
                self._session = self._db.sessions(
                    bind=self._db.engine.execution_options(isolation_level="REPEATABLE READ")
                )
            return await work(self._session)

    async def close(self) -> None:
        async with self._lock:
            if self._session is not None:
                await self._session.close()
                self._session = None


@dataclass
class Context:
    services: AppServices
    request: Any = None
    response: Any = None
    principal: Principal | None = None
    auth_error: str | None = None  # why a presented credential was not accepted
    database_unavailable: bool = False  # set by the error mask on a lost database: HTTP answers 503
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    connection_params: dict[str, Any] | None = None
    # The caller's language for user-facing text (services/i18n.py): from Accept-Language, or a
    # WebSocket's connection_init `acceptLanguage`; set once per request or connection.
    language: str = "en"
    # The compiled read path (schema/compiled), which renders mutation payloads; None: strawberry does.
    compiled: Any = None
    reads: ReadScope = field(init=False)
    _loaders: DataLoaders | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.reads = ReadScope(self.services.db)

    @property
    def loaders(self) -> DataLoaders:
        """The request's DataLoaders, made on first use: a request answered by the compiled path (a
        mutation's payload included) never needs the two dozen of them."""
        if self._loaders is None:
            self._loaders = DataLoaders.for_request(self.reads)
        return self._loaders

    @property
    def clock(self) -> Clock:
        return self.services.clock

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await self.reads.run(work)

    async def after_commit(self) -> None:
        """A mutation committed: later reads in this request must see it, not the old snapshot."""
        await self.reads.close()
        self._loaders = None

    def for_rendering(self) -> Context:
        """A context with the same caller and a fresh snapshot, to render one subscription event."""
        return Context(
            services=self.services,
            request=self.request,
            principal=self.principal,
            request_id=self.request_id,
            language=self.language,
        )

    async def close(self) -> None:
        await self.reads.close()


# What every resolver and field method receives as `info`: `info.context` is typed.
Info = strawberry.Info[Context, None]
