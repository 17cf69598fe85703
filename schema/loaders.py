"""Per-request DataLoaders: one batched statement per relation, however many objects ask."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from db.repositories import accounts as accounts_repo
from db.repositories import activity as activity_repo
from db.repositories import customers as customers_repo

T = TypeVar("T")

# Domain modules add their loaders here (`Loaders.extend`); every per-request Loaders runs them.
_SETUPS: list[Callable[[Loaders], None]] = []


def _parse(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except (ValueError, TypeError):
        return None


class Loaders:
    def __init__(self, reads: Any):
        self._reads = reads
        self._by_id: dict[str, DataLoader[str, Any]] = {
            "user": self._rows_by_id(accounts_repo.users_by_ids, lambda r: str(r.id)),
            "customer": self._rows_by_id(customers_repo.by_ids, lambda r: str(r.id)),
            "contact": self._rows_by_id(customers_repo.contacts_by_ids, lambda r: str(r.id)),
            "activity": self._rows_by_id(activity_repo.by_seqs, lambda r: str(r.seq), key_type=int),
        }
        self.contacts_by_customer: DataLoader[str, list[Any]] = self._grouped(
            customers_repo.contacts_of, lambda r: str(r.customer_id)
        )
        self._groups: dict[str, DataLoader[str, list[Any]]] = {}
        for setup in _SETUPS:
            setup(self)

    @staticmethod
    def extend(setup: Callable[[Loaders], None]) -> Callable[[Loaders], None]:
        """Register a function that adds a domain's loaders to every request's Loaders."""
        _SETUPS.append(setup)
        return setup

    def register_grouped(
        self,
        kind: str,
        fetch: Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Sequence[Any]]],
        key_of: Callable[[Any], str],
    ) -> None:
        """Rows grouped by a parent id (e.g. items by order), one batched statement for all parents."""
        self._groups[kind] = self._grouped(fetch, key_of)

    async def group(self, kind: str, key: str) -> list[Any]:
        return await self._groups[kind].load(str(key))

    def register(
        self,
        kind: str,
        fetch: Callable[[AsyncSession, list[Any]], Awaitable[Sequence[Any]]],
        key_of: Callable[[Any], str],
    ) -> None:
        """Later modules add loaders for their own tables."""
        self._by_id[kind] = self._rows_by_id(fetch, key_of)

    def _rows_by_id(self, fetch, key_of, key_type=uuid.UUID) -> DataLoader[str, Any]:
        async def load(keys: list[str]) -> list[Any]:
            parsed = []
            for k in keys:
                try:
                    parsed.append(key_type(k))
                except (ValueError, TypeError):
                    continue  # a malformed id simply matches nothing
            rows = await self._reads.run(lambda s: fetch(s, parsed)) if parsed else []
            found = {key_of(r): r for r in rows}
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    def _grouped(self, fetch, key_of) -> DataLoader[str, list[Any]]:
        async def load(keys: list[str]) -> list[list[Any]]:
            ids = [u for u in (_parse(k) for k in keys) if u is not None]
            rows = await self._reads.run(lambda s: fetch(s, ids)) if ids else []
            groups: dict[str, list[Any]] = defaultdict(list)
            for r in rows:
                groups[key_of(r)].append(r)
            return [groups.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    async def load_optional(self, kind: str, key: str | None, convert: Callable[[Any], T]) -> T | None:
        if key is None:
            return None
        row = await self._by_id[kind].load(str(key))
        return convert(row) if row is not None else None

    async def load_many(self, kind: str, keys: Iterable[str], convert: Callable[[Any], T]) -> list[T | None]:
        rows = await self._by_id[kind].load_many([str(k) for k in keys])
        return [convert(r) if r is not None else None for r in rows]

    async def row(self, kind: str, key: str) -> Any:
        return await self._by_id[kind].load(str(key))
