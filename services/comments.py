"""Comments on every work item (DOMAIN.md part 2, "Comments"): opportunities, orders, service jobs,
tickets and action items, by any staff member, INTERNAL (staff only) or CUSTOMER-visible as on tickets.

`add_comment` is `addComment(subjectId:)`. A ticket's reply goes through services/tickets.py
`add_comment` (its rules: not on a CLOSED ticket, a customer-visible reply is the first response of
the SLA clock, the ticket's event); every other subject's comment is a row of `comments`, on the kind
of subject registered in db/models/comments.py `SUBJECT_COLUMNS` (nothing here names one, but for the
opportunity's technical advice and the order timelines below).

Each comment records one activity on its subject (on its customer's timeline and, for an order and its
service jobs, the order's) and one event: the subject's `<TYPE>_UPDATED` where the domain has one,
else `<TYPE>_COMMENTED`. API keys read timelines and subscribe to events, and may not read INTERNAL
comments: so the body is never in an event, an INTERNAL comment's activity is `internal` (hidden from
them) and its summary does not quote it. A comment changes nothing of its subject (no version bump: a
remark must not make someone's edit of the order a VERSION_CONFLICT).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from db.models import TicketComment, WorkItemComment
from db.models.comments import SUBJECT_COLUMNS
from db.repositories import comments as repo
from services import tickets
from services.errors import DomainError, ErrorCode, ValidationFailed, invalid, not_found
from services.i18n import T
from services.realtime.event_types import EVENT_TYPES
from services.rules.tickets import COMMENT_VISIBILITIES
from services.unit_of_work import UnitOfWork
from services.validation import Validator

MAX_BODY = 20_000  # as a ticket's reply
EXCERPT = 120  # characters of a customer-visible comment quoted in its activity's summary
# What `subjectId` may name: a ticket (its replies) and every registered subject.
SUBJECT_TYPES: tuple[str, ...] = ("Ticket", *SUBJECT_COLUMNS)
# Where a subject shows on an order's timeline (the column holding the order's id), as every other
# change of an order or of its service jobs does; the others show on their customer's only.
_ORDER_OF = {"Order": "id", "ServiceJob": "order_id"}


def _words(type_name: str) -> list[str]:
    return re.findall(r"[A-Z][a-z]*", type_name)  # "ServiceJob" -> ["Service", "Job"]


def entity_key(type_name: str) -> str:
    """The subject's prefix of activity actions: "service_job" (as `service_job.commented`)."""
    return "_".join(w.lower() for w in _words(type_name))


def event_of(type_name: str) -> str:
    """The event of a comment on a subject: the domain's `<TYPE>_UPDATED`, else `<TYPE>_COMMENTED`."""
    updated = f"{entity_key(type_name).upper()}_UPDATED"
    return updated if updated in EVENT_TYPES else f"{entity_key(type_name).upper()}_COMMENTED"


# A registered subject without an event type fails here, at import, not on its first comment.
if _missing := [event_of(t) for t in SUBJECT_COLUMNS if event_of(t) not in EVENT_TYPES]:
    raise RuntimeError(f"add {', '.join(_missing)} to services/realtime/event_types.py")


async def add_comment(
    uow: UnitOfWork, subject_type: str, subject_id: uuid.UUID, body: str, visibility: str
) -> TicketComment | WorkItemComment:
    """Comment on the subject (its GraphQL type name and id); the comment."""
    if subject_type == "Ticket":
        return await _ticket_reply(uow, subject_id, body, visibility)
    if subject_type not in SUBJECT_COLUMNS:
        raise invalid(T("subjectId is not the id of one of: {types}", types=", ".join(SUBJECT_TYPES)), "subjectId")
    v = Validator()
    text = v.text(body, "the comment", "body", required=True, max_len=MAX_BODY)
    v.require(visibility in COMMENT_VISIBILITIES, "unknown visibility", "visibility")
    v.raise_if_any()
    assert text is not None
    if uow.actor_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "comments are written by a person")
    subject = await repo.subject_row(uow.session, subject_type, subject_id)
    if subject is None:
        raise not_found(subject_label(subject_type), "subjectId")
    comment = WorkItemComment(
        id=uuid.uuid4(), author_id=uow.actor_id, body=text, visibility=visibility, created_at=uow.now
    )
    setattr(comment, SUBJECT_COLUMNS[subject_type], subject_id)
    await repo.add(uow.session, comment)
    _record(uow, subject_type, subject, comment)
    return comment


async def _ticket_reply(uow: UnitOfWork, ticket_id: uuid.UUID, body: str, visibility: str) -> TicketComment:
    try:
        await tickets.add_comment(uow, ticket_id, body, visibility)
    except DomainError as error:
        raise _about_subject(error) from None
    reply = await repo.newest_ticket_reply(uow.session, ticket_id)
    assert reply is not None, "add_comment has just added it"
    return reply


def _about_subject(error: DomainError) -> DomainError:
    """The ticket service's refusal, its `ticketId` named as the input's `subjectId`."""
    for problem in [error, *(error.problems if isinstance(error, ValidationFailed) else [])]:
        if problem.field == ["ticketId"]:
            problem.field = ["subjectId"]
    return error


def _record(uow: UnitOfWork, type_name: str, subject: Mapping[str, Any], comment: WorkItemComment) -> None:
    internal = comment.visibility == "INTERNAL"
    order_key = _ORDER_OF.get(type_name)
    uow.record(
        action=f"{entity_key(type_name)}.commented",
        entity_type=type_name,
        entity_id=subject["id"],
        summary=_summary(uow, type_name, subject, comment),
        changes={"commentId": comment.id, "visibility": comment.visibility},
        customer_id=subject.get("customer_id"),
        order_id=subject[order_key] if order_key else None,
        event=event_of(type_name),
        # Enough for a client to refetch the subject's comments; never the body (see the module's doc).
        payload={"fields": ["comments"], "commentId": comment.id, "visibility": comment.visibility},
        internal=internal,
    )


def _summary(uow: UnitOfWork, type_name: str, subject: Mapping[str, Any], comment: WorkItemComment) -> str:
    internal = comment.visibility == "INTERNAL"
    name = _name(type_name, subject)
    if type_name == "Opportunity" and uow.actor is not None and uow.actor.department == "SERVICE":
        # DOMAIN.md: on an opportunity, service's comment is its technical advice on the requirements.
        what = f"{'Internal technical' if internal else 'Technical'} advice on the requirements of {name}"
    else:
        what = f"{'Internal comment' if internal else 'Comment'} on {name}"
    if internal:
        return what  # an INTERNAL body is never quoted, not even to staff: the trail is shown widely
    body = comment.body if len(comment.body) <= EXCERPT else comment.body[: EXCERPT - 1].rstrip() + "…"
    return f"{what}: {body}"


def _label(type_name: str) -> str:
    return " ".join(w.lower() for w in _words(type_name))  # "service job"


def subject_label(type_name: str) -> str:
    """The subject type as a refusal names it, a msgid ("service job"; services/i18n_catalogs.py)."""
    return T(_label(type_name))


def _name(type_name: str, subject: Mapping[str, Any]) -> str:
    """How a summary names the subject: by its number (O-000012), else its title."""
    if subject.get("number"):
        return f"{_label(type_name)} {subject['number']}"
    return f'{_label(type_name)} "{subject.get("title", subject["id"])}"'
