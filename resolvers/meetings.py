"""Meeting queries and mutations (例會)."""

from __future__ import annotations

from db.repositories import meetings as repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id
from schema.types.common import Connection
from schema.types.meetings import Meeting, MeetingKind
from schema.types.meetings_inputs import MeetingPayload, RecordMeetingInput
from services import meetings as service
from services.clock import utc
from services.meetings import MeetingAction, NewMeeting


async def meetings(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    kind: list[MeetingKind] | None = None,
) -> Connection[Meeting]:
    """Meetings, the most recently held first."""
    return await page(
        info, repo.page, Meeting.from_row, first, after, last, before, kinds=[k.value for k in kind or []]
    )


_meeting = Answer(MeetingPayload, meeting=Meeting.from_row)


async def record_meeting(info: Info, input: RecordMeetingInput) -> MeetingPayload:
    def request() -> NewMeeting:
        return NewMeeting(
            kind=input.kind.value,
            title=input.title,
            held_at=utc(input.held_at),
            attendee_ids=[decode_id(a, "User", "attendeeIds", str(i)) for i, a in enumerate(input.attendee_ids)],
            minutes=input.minutes,
            decisions=list(input.decisions or []),
            actions=[
                MeetingAction(
                    title=a.title,
                    owner_id=decode_id(a.owner_id, "User", "actions", str(i), "ownerId"),
                    due_at=utc(a.due_at),
                )
                for i, a in enumerate(input.actions or [])
            ],
        )

    action = create_once("recordMeeting", input.idempotency_key, request, service.record_meeting, repo.get)
    return await _meeting(info, action)
