"""The fields with rules of their own (mapping.py `Special`), as the Planner writes them: the SLA
object over a ticket's row, the current escalation and solution, contacts, participants, notes,
the review, whether an action item is overdue, an activity's entity id, a meeting's attendees and a
survey's counts.
A mixin of planner.Planner (the same walk, aliases and objects), kept apart for size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import FieldNode
from sqlalchemy import Float, Text, and_, case, cast, func, or_, select
from sqlalchemy.sql import util as sql_util

from db.models import EscalationParticipant, Feedback, MeetingAttendee, SurveyTarget
from db.repositories.surveys import SCORES
from schema.compiled import sql
from schema.compiled.mapping import SLA_FIELDS
from services import sla
from services.access import Action
from services.rules.action_items import UNFINISHED_STATUSES

EMPTY = sql.json_constant([])


def late(columns: Any) -> Any:
    """An action item past its due time and unfinished, `now` the request's clock (a parameter): the
    rule of services/action_items.py `overdue` and of action_items.page's `overdue` filter. The
    statuses as equalities, not IN: a literal IN list does not survive sql.inline_constants."""
    unfinished = or_(*(columns.status == status for status in UNFINISHED_STATUSES))
    return and_(unfinished, columns.due_at < sql.now_param())


class Specials:
    if TYPE_CHECKING:
        schema: Any
        actions: frozenset[Action]
        aliases: int

        def collect(self, type_: Any, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]: ...
        def object_json(self, type_name: str, nodes: list[FieldNode], source: Any) -> Any: ...
        def _alias(self, type_name: str) -> Any: ...

    def _sla(self, nodes: list[FieldNode], source: Any) -> Any:
        """services/sla.py's SQL rules over this ticket's row, `now` bound per request. The ticket's
        state combines the two clocks' states and names each several times: when it is asked for, the
        two are computed once per row in a derived table (OFFSET 0 keeps PostgreSQL from folding them
        back into every mention) and the object is built over its columns."""
        adapt = sql_util.ClauseAdapter(source).traverse

        def rule(build: Any) -> Any:
            return adapt(sql.with_now_param(build(sql.NOW_STAND_IN)))

        fields = self.collect(self.schema.get_type("TicketSla"), nodes)
        first, second = rule(sla.first_response_state_sql), rule(sla.resolution_state_sql)
        states = None
        if any(field_nodes[0].name.value == "state" for field_nodes in fields.values()):
            both = select(first.label("fr"), second.label("rs")).correlate(source).offset(0)
            states = both.subquery(self._subquery_name())
            first, second = states.c.fr, states.c.rs
        values = {"first_response": first, "resolution": second}
        pairs = []
        for key, field_nodes in fields.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, sql.json_constant("TicketSla")))
            elif name == "state":
                pairs.append((key, sla.combined_state_sql(first, second)))
            elif SLA_FIELDS[name] in values:
                pairs.append((key, values[SLA_FIELDS[name]]))
            else:
                pairs.append((key, sql.iso_datetime(source.c[SLA_FIELDS[name]])))
        if states is None:
            return sql.json_object(pairs)
        return sql.json_text(select(sql.json_object(pairs)).select_from(states).scalar_subquery())

    def _overdue(self, nodes: list[FieldNode], source: Any) -> Any:
        """ActionItem.overdue: a Boolean of the row (`late` is never NULL: both columns are NOT NULL)."""
        return late(source.c)

    def _entity_id(self, nodes: list[FieldNode], source: Any) -> Any:
        """Activity.entityId: the global id of the entity the row is about, its type from the row."""
        return sql.global_id_of(source.c.entity_type, source.c.entity_id)

    # ------------------------------------------------------------------ a survey's counts

    @staticmethod
    def _answers(f: Any, score: Any = None) -> Any:
        """The answers with a score in SCORES (or with `score`) among the joined rows."""
        scored = and_(f.c.score >= SCORES[0], f.c.score <= SCORES[-1]) if score is None else f.c.score == score
        return func.count(f.c.id).filter(scored)

    def _stats_of(self, source: Any, build: Any) -> Any:
        """`build(answers)` aggregated over the survey's targets, each LEFT JOINed to its answer: the
        shape of db/repositories/surveys.py stats_of, so the counts are the reference's by construction
        (an answer counts only as a target's, and only with a score in SCORES)."""
        t = SurveyTarget.__table__.alias(self._subquery_name())
        f = Feedback.__table__.alias(self._subquery_name())
        answered = and_(f.c.survey_id == t.c.survey_id, f.c.customer_id == t.c.customer_id)
        stmt = select(build(f)).select_from(t.outerjoin(f, answered)).where(t.c.survey_id == source.c.id)
        return stmt.scalar_subquery()

    def _target_count(self, nodes: list[FieldNode], source: Any) -> Any:
        return self._stats_of(source, lambda f: func.count())

    def _response_count(self, nodes: list[FieldNode], source: Any) -> Any:
        return self._stats_of(source, self._answers)

    def _score_distribution(self, nodes: list[FieldNode], source: Any) -> Any:
        """Five counts, scores 1 to 5 (SurveyStats.distribution): integers, pasted as JSON."""

        def counts(f: Any) -> Any:
            text: Any = sql.quoted("[")
            for i, score in enumerate(SCORES):
                text = text.op("||")(sql.quoted(",") if i else sql.quoted("")).op("||")(
                    cast(self._answers(f, score), Text)
                )
            return text.op("||")(sql.quoted("]"))

        # No targets: the reference's zeros (schema/types/surveys.py `_stats`): the aggregate of no rows
        # still counts 0 per score.
        return sql.json_text(self._stats_of(source, counts))

    def _response_rate(self, nodes: list[FieldNode], source: Any) -> Any:
        """Answers / targets as a float (null without targets), written as orjson writes it."""

        def rate(f: Any) -> Any:
            targets = func.count()
            ratio = cast(self._answers(f), Float(53)) / cast(targets, Float(53))
            return sql.float_text(case((targets > 0, ratio), else_=None))

        return sql.json_text(self._stats_of(source, rate))

    def _average_score(self, nodes: list[FieldNode], source: Any) -> Any:
        """Mean score of the answers (null without any), written as orjson writes it."""

        def mean(f: Any) -> Any:
            n = self._answers(f)
            total = func.sum(f.c.score).filter(and_(f.c.score >= SCORES[0], f.c.score <= SCORES[-1]))
            return sql.float_text(case((n > 0, cast(total, Float(53)) / cast(n, Float(53))), else_=None))

        return sql.json_text(self._stats_of(source, mean))

    def _subquery_name(self) -> str:
        self.aliases += 1
        return f"r{self.aliases}"

    def _current_escalation(self, nodes: list[FieldNode], source: Any) -> Any:
        """The open consultation, else the latest (db/repositories/tickets.py current_escalations)."""
        e = self._alias("Escalation")
        return (
            select(self.object_json("Escalation", nodes, e))
            .where(e.c.ticket_id == source.c.id)
            .order_by((e.c.status == "OPEN").desc(), e.c.requested_at.desc(), e.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    def _contacts(self, nodes: list[FieldNode], source: Any) -> Any:
        """Primary first, then oldest first (db/repositories/customers.py contacts_of)."""
        c = self._alias("Contact")
        body = self.object_json("Contact", nodes, c)
        aggregate = sql.json_array(body, c.c.is_primary.desc(), c.c.created_at, c.c.id)
        return select(aggregate).where(c.c.customer_id == source.c.id).scalar_subquery()

    def _participants(self, nodes: list[FieldNode], source: Any) -> Any:
        """By name (db/repositories/tickets.py participants_of)."""
        return self._users_through(EscalationParticipant.__table__, "escalation_id", nodes, source)

    def _attendees(self, nodes: list[FieldNode], source: Any) -> Any:
        """By name (db/repositories/meetings.py attendees_of)."""
        return self._users_through(MeetingAttendee.__table__, "meeting_id", nodes, source)

    def _users_through(self, table: Any, column: str, nodes: list[FieldNode], source: Any) -> Any:
        """The users a join table links to this row, by name then id (rows.pairs_of's order there)."""
        u = self._alias("User")
        self.aliases += 1
        link = table.alias(f"r{self.aliases}")
        body = self.object_json("User", nodes, u)
        aggregate = sql.json_array(body, u.c.name, u.c.id)
        return (
            select(aggregate)
            .select_from(link.join(u, u.c.id == link.c.user_id))
            .where(link.c[column] == source.c.id)
            .scalar_subquery()
        )

    def _notes(self, nodes: list[FieldNode], source: Any) -> Any:
        """Oldest first (db/repositories/tickets.py notes_of); [] for callers who may not read internal
        comments (schema/types/tickets.py Escalation.notes), whatever they select."""
        if Action.READ_INTERNAL_COMMENTS not in self.actions:
            return EMPTY
        c = self._alias("Comment")
        aggregate = sql.json_array(self.object_json("Comment", nodes, c), c.c.seq)
        return select(aggregate).where(c.c.escalation_id == source.c.id).scalar_subquery()

    def _review(self, nodes: list[FieldNode], source: Any) -> Any:
        """Part of the solution's row; null until service reviewed it (schema/types/presale.py SolutionReview.of)."""
        c = source.c
        reviewed = and_(c.decision.isnot(None), c.reviewed_at.isnot(None), c.reviewer_id.isnot(None))
        return sql.json_text(case((reviewed, self.object_json("SolutionReview", nodes, source)), else_=None))

    def _current_solution(self, nodes: list[FieldNode], source: Any) -> Any:
        """The latest revision (the last of opportunities.solutions_of, ordered by revision)."""
        s = self._alias("Solution")
        latest = select(self.object_json("Solution", nodes, s)).where(s.c.opportunity_id == source.c.id)
        return latest.order_by(s.c.revision.desc()).limit(1).scalar_subquery()
