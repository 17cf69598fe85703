"""Market intelligence (市場動態): marketing posts what it learns (trends, competitors, customer needs,
regulation, product feedback); everyone reads it, and searches it by title, body and tags.

Who may edit a post, beyond the permission matrix (services/access.py: MARKET_INTELLIGENCE, marketing and
admins): its author, or an admin. Another marketing person, even a lead, may not rewrite a colleague's post.

Tags are kept as their author typed them (trimmed, inner whitespace collapsed), each once per post
whatever its case (the first spelling wins), and matched case-insensitively through their keys
(`tag_key`), stored beside them (db/models/market_intel.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from db.models import MarketIntel
from db.repositories import market_intel as repo
from db.repositories import rows
from services.errors import DomainError, ErrorCode, check_version, not_found
from services.i18n import T
from services.linked_records import require_customer
from services.rules.market_intel import BODY_MAX, INTEL_KINDS, MAX_TAG_LENGTH, MAX_TAGS, TITLE_MAX
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

SEARCH_MAX = 200  # a search term longer than this is not a search term


@dataclass
class NewMarketIntel:
    kind: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    customer_id: uuid.UUID | None = None


def tag_key(tag: str) -> str:
    """What a tag is matched by: its text with whitespace collapsed, case folded (the same function makes
    the stored keys and the filter's, so no Python/PostgreSQL case mapping can disagree)."""
    return " ".join(tag.split()).casefold()


def search_term(raw: str | None) -> str | None:
    """A search as the repository takes it: trimmed, whitespace collapsed; None when nothing is left."""
    if raw is None:
        return None
    term = " ".join(raw.split())
    return term or None


async def post_market_intel(uow: UnitOfWork, data: NewMarketIntel) -> MarketIntel:
    v = Validator()
    v.require(data.kind in INTEL_KINDS, "unknown kind of market intelligence", "kind")
    title = v.text(data.title, "title", "title", required=True, max_len=TITLE_MAX)
    body = v.text(data.body, "body", "body", required=True, max_len=BODY_MAX)
    tags = _tags(v, data.tags)
    v.raise_if_any()
    if data.customer_id is not None:
        await require_customer(uow, data.customer_id)
    assert uow.actor_id is not None and title is not None and body is not None
    intel = MarketIntel(
        id=uuid.uuid4(),
        kind=data.kind,
        title=title,
        body=body,
        tags=tags,
        tag_keys=[tag_key(t) for t in tags],
        customer_id=data.customer_id,
        author_id=uow.actor_id,
    )
    await repo.add(uow.session, intel, uow.now)
    uow.record_about(
        _subject(intel),
        "market_intel.posted",
        f"Market intelligence posted: {title}",
        "MARKET_INTEL_POSTED",
        # `tags` as [before, after]: a list of two tags would otherwise read as a change of one value.
        changes={"kind": data.kind, "title": title, "tags": [None, tags], "customerId": data.customer_id},
        payload={"authorId": intel.author_id},
    )
    return intel


async def update_market_intel(
    uow: UnitOfWork, intel_id: uuid.UUID, expected_version: int | None, **fields: Any
) -> MarketIntel:
    """`fields` holds only what the caller gave (kind, title, body, tags); the rest stays as it is. A
    title, body or kind given as null is refused (they are required); tags given as null clear them."""
    intel = await repo.get(uow.session, intel_id, for_update=True)
    if intel is None:
        raise not_found("market intelligence", "marketIntelId")
    check_version("market intelligence", expected_version, intel.version)
    actor = uow.actor
    if actor is None or not (actor.user_id == intel.author_id or actor.role == "ADMIN"):
        raise DomainError(
            ErrorCode.FORBIDDEN, "only its author or an admin may edit this market intelligence", ["marketIntelId"]
        )
    v = Validator()
    values: dict[str, Any] = {}
    if "kind" in fields:
        v.require(fields["kind"] is not None, "kind is required", "kind")
        v.require(fields["kind"] in (*INTEL_KINDS, None), "unknown kind of market intelligence", "kind")
        values["kind"] = fields["kind"]
    if "title" in fields:
        values["title"] = v.text(fields["title"], "title", "title", required=True, max_len=TITLE_MAX)
    if "body" in fields:
        values["body"] = v.text(fields["body"], "body", "body", required=True, max_len=BODY_MAX)
    if "tags" in fields:
        values["tags"] = _tags(v, fields["tags"] or [])
    v.raise_if_any()
    changes = {name: [getattr(intel, name), new] for name, new in values.items() if getattr(intel, name) != new}
    if not changes:
        return intel  # nothing to record: no version bump, no activity, no event
    for name, (_, new) in changes.items():
        setattr(intel, name, new)
    if "tags" in changes:
        intel.tag_keys = [tag_key(t) for t in intel.tags]
    rows.touch(intel, uow.now)
    uow.record_about(
        _subject(intel),
        "market_intel.updated",
        f"Market intelligence updated: {', '.join(changes)}",
        "MARKET_INTEL_UPDATED",
        changes=changes,
        payload={"fields": sorted(changes)},
    )
    return intel


def _tags(v: Validator, raw: list[str]) -> list[str]:
    """The tags to keep: each trimmed (inner whitespace collapsed), once per post whatever its case."""
    kept: list[str] = []
    keys: set[str] = set()
    for i, value in enumerate(raw):
        tag = " ".join(value.split())
        if not tag:
            v.require(False, "a tag cannot be empty", "tags", str(i))
        elif len(tag) > MAX_TAG_LENGTH:
            v.require(False, T("a tag must be at most {n} characters", n=MAX_TAG_LENGTH), "tags", str(i))
        elif tag_key(tag) not in keys:
            keys.add(tag_key(tag))
            kept.append(tag)
    v.require(len(kept) <= MAX_TAGS, T("at most {n} tags", n=MAX_TAGS), "tags")
    return kept


def _subject(intel: MarketIntel) -> Subject:
    # On its customer's timeline when it is about one.
    return Subject("MarketIntel", intel.id, intel.customer_id, None, {"kind": intel.kind})
