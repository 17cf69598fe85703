"""Satisfaction surveys (after-sale 3): Survey and its enum. Its counts come from one batched aggregate
per page of surveys (the `survey_stats` loader), its targets and answers are pages of their own."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models import Survey as SurveyRow
from db.repositories import surveys as repo
from db.repositories.surveys import SurveyStats
from schema.context import Info
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.action_items import ActionItem
from schema.types.common import Connection, FromRow, connection, page_window, required, to_many
from schema.types.customers import Customer
from schema.types.feedback import Feedback
from services.rules.surveys import SurveyStatus

__all__ = ["Survey", "SurveyStatus"]


@strawberry.type(description="A satisfaction survey (滿意度調查): a set of target customers, each answering once.")
class Survey(relay.Node, FromRow[SurveyRow]):
    id: relay.NodeID[str]
    title: str
    status: SurveyStatus
    opens_at: datetime
    closes_at: datetime
    action_items: list[ActionItem] = to_many(
        "action_items_by_survey", lambda: ActionItem, description="The action items that came from this survey."
    )
    created_by: User = required("users", "created_by_id", lambda: User)
    version: int
    _row: strawberry.Private[SurveyRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.surveys)  # node(id:)

    async def _stats(self, info: Info) -> SurveyStats:
        found = await info.context.loaders.survey_stats.load(self._row.id)
        return found or SurveyStats(self._row.id, 0, (0,) * len(repo.SCORES))

    @strawberry.field(description="Customers the survey asks.")
    async def target_count(self, info: Info) -> int:
        return (await self._stats(info)).target_count

    @strawberry.field(description="Customers who answered (each target answers at most once).")
    async def response_count(self, info: Info) -> int:
        return (await self._stats(info)).response_count

    @strawberry.field(description="Customers who answered ÷ targets (0–1); null without targets.")
    async def response_rate(self, info: Info) -> float | None:
        stats = await self._stats(info)
        return stats.response_count / stats.target_count if stats.target_count else None

    @strawberry.field(description="Mean score (1–5) of the answers; null without answers.")
    async def average_score(self, info: Info) -> float | None:
        return (await self._stats(info)).mean

    @strawberry.field(description="Five counts: the answers scored 1, 2, 3, 4 and 5.")
    async def score_distribution(self, info: Info) -> list[int]:
        return list((await self._stats(info)).distribution)

    @strawberry.field(description="The customers the survey asks, alphabetically.")
    async def targets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        survey_id = self._row.id
        return await connection(
            info,
            lambda s, window: repo.targets_page(s, survey_id, **window),
            page_window(first, after, last, before),
            Customer.from_row,
        )

    @strawberry.field(description="The answers (feedback of source SURVEY), newest first.")
    async def responses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Feedback]:
        survey_id = self._row.id
        return await connection(
            info,
            lambda s, window: repo.responses_page(s, survey_id, **window),
            page_window(first, after, last, before),
            Feedback.from_row,
        )
