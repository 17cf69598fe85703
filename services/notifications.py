"""Personal notifications (DOMAIN.md part 2): what a person must act on reaches that person.

`notify` is called by the service whose change is the cause, inside the cause's unit of work: the
notification rows and their NOTIFICATION_CREATED events commit with the change or not at all, and
the events reach the person's `myNotifications` stream the moment they commit (resumable with
`after` like every stream). Nobody is told of their own action, an inactive account is told nothing,
and one cause tells each person once.

Who is told what (services that call `notify`):
- ASSIGNED: the assignee of a ticket (tickets) or the technician of a service job (service_jobs);
- CONSULTATION_INVITE: each person invited to a joint consultation (escalations);
- PROBLEM_REPORTED: the owner of the order a service-job problem was reported on, and whoever the
  reporter asked to tell (service_jobs.report_problem);
- HANDOFF_RETURNED: the order's owner and the person who handed it off (order_transitions);
- ACTION_ITEM_ASSIGNED / ACTION_ITEM_REJECTED: the action item's owner (action_items);
- ACTION_ITEM_DUE and SLA_ALERT: the owner or assignee of the item whose clock the SLA watcher
  announces (sla_watcher).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from db.models import User
from db.repositories import accounts as accounts_repo
from db.repositories import notifications as repo
from services.errors import DomainError, ErrorCode
from services.i18n import T
from services.rules.notifications import NotificationKind
from services.unit_of_work import UnitOfWork

TITLE_MAX = 300  # the column's width
MARK_AT_ONCE_MAX = 100  # ids one markNotificationsRead may name (`all` has no such limit)


async def notify(
    uow: UnitOfWork,
    recipients: Iterable[uuid.UUID | None],
    kind: NotificationKind,
    title: str,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Tell each of `recipients` (None entries ignored) about `subject`; returns who was told."""
    wanted = list(dict.fromkeys(r for r in recipients if r is not None and r != uow.actor_id))
    if not wanted:
        return []
    users: Sequence[User] = await accounts_repo.users_by_ids(uow.session, wanted)
    active = {u.id for u in users if u.active}
    told = [r for r in wanted if r in active]
    text = title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
    rows = await repo.add_many(
        uow.session,
        [
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "kind": kind.value,
                "title": text,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "created_at": uow.now,
            }
            for user_id in told
        ],
    )
    for row in rows:
        uow.emit(
            "NOTIFICATION_CREATED",
            "Notification",
            row.id,
            {
                "userId": row.user_id,
                "notificationId": row.id,
                "kind": row.kind,
                "subjectType": subject_type,
                "subjectId": subject_id,
            },
        )
    return told


async def mark_read(uow: UnitOfWork, ids: Sequence[uuid.UUID] | None, everything: bool) -> int:
    """Mark the caller's own notifications read — those named, or all of them — and return how many of
    theirs are still unread. Naming one that is not theirs (or does not exist) changes nothing."""
    user_id = _person(uow)
    if everything == (ids is not None):
        raise DomainError(ErrorCode.VALIDATION, "give either notificationIds or all: true", ["notificationIds", "all"])
    if ids is not None:
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise DomainError(ErrorCode.VALIDATION, "notificationIds is empty", ["notificationIds"])
        if len(unique) > MARK_AT_ONCE_MAX:
            raise DomainError(
                ErrorCode.VALIDATION,
                T("at most {n} notificationIds at once (or all: true)", n=MARK_AT_ONCE_MAX),
                ["notificationIds"],
            )
        found = {n.id for n in await repo.of_user(uow.session, user_id, unique)}
        missing = [i for i in unique if i not in found]
        if missing:
            raise DomainError(
                ErrorCode.NOT_FOUND, T("no notification {id} of yours", id=missing[0]), ["notificationIds"]
            )
        ids = unique
    await repo.mark_read(uow.session, user_id, ids, uow.now)
    return await repo.unread_count(uow.session, user_id)


def _person(uow: UnitOfWork) -> uuid.UUID:
    if uow.actor is None or uow.actor_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a person has notifications")
    return uow.actor_id
