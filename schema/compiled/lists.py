"""Every root list the compiler answers: `tickets` and `customers` (roots.py, rules of their own) and
the lists whose arguments are plain filters (`Where`), each as its resolver and repository page
function read them (resolvers/<domain>.py, db/repositories/<domain>.py): the same filters, the
repository's own sort keys (imported, so the ordering and the cursors are the reference's by
construction), newest first where the repository says `descending=True`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Text, Uuid, false, func, not_, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from db.models import (
    ActionItem,
    Activity,
    Escalation,
    Feedback,
    MarketIntel,
    Meeting,
    Notification,
    Opportunity,
    Order,
    SalesTarget,
    ServiceJob,
    Survey,
    User,
)
from db.repositories.accounts import USER_PAGE_KEYS
from db.repositories.action_items import ORDERINGS as ACTION_ITEM_ORDERINGS
from db.repositories.action_items import PAGE_KEYS as ACTION_ITEM_KEYS
from db.repositories.activity import PAGE_KEYS as ACTIVITY_KEYS  # the audit log's own order (by seq)
from db.repositories.customers import escape_like
from db.repositories.feedback import PAGE_KEYS as FEEDBACK_KEYS
from db.repositories.market_intel import PAGE_KEYS as MARKET_INTEL_KEYS
from db.repositories.market_intel import TAG_SEPARATOR
from db.repositories.meetings import PAGE_KEYS as MEETING_KEYS
from db.repositories.notifications import PAGE_KEYS as NOTIFICATION_KEYS
from db.repositories.opportunities import PAGE_KEYS as OPPORTUNITY_KEYS
from db.repositories.orders import ORDERINGS as ORDER_ORDERINGS
from db.repositories.orders import PAGE_KEYS as ORDER_KEYS
from db.repositories.sales_targets import PAGE_KEYS as SALES_TARGET_KEYS
from db.repositories.service_jobs import PAGE_KEYS as SERVICE_JOB_KEYS
from db.repositories.surveys import PAGE_KEYS as SURVEY_KEYS
from db.repositories.tickets import ESCALATION_PAGE_KEYS as ESCALATION_KEYS
from schema.compiled import roots, sql
from schema.compiled.roots import RootList, Where
from schema.compiled.specials import late
from schema.ids import decode_id
from services.access import Action
from services.clock import utc
from services.errors import DomainError
from services.market_intel import SEARCH_MAX, search_term, tag_key


class OrderList(RootList):
    """`orders(first, after, last, before, status, customerId, orderBy)`: orders.page."""

    table = Order.__table__
    keys = ORDER_KEYS
    descending = True
    orderings = ORDER_ORDERINGS
    where = (Where("status", Order.status, "enums"), Where("customerId", Order.customer_id, "Customer"))


class UserList(RootList):
    """`users(first, after, department, active)`: accounts.users_page, by lower(name) then id."""

    table = User.__table__
    keys = USER_PAGE_KEYS
    where = (Where("department", User.department, "enum"), Where("active", User.active, "bool"))


class ServiceJobList(RootList):
    """`serviceJobs(first, after, status, orderId, technicianId, customerId)`: service_jobs.page."""

    table = ServiceJob.__table__
    keys = SERVICE_JOB_KEYS
    descending = True
    where = (
        Where("status", ServiceJob.status, "enums"),
        Where("orderId", ServiceJob.order_id, "Order"),
        Where("technicianId", ServiceJob.technician_id, "User"),
        Where("customerId", ServiceJob.customer_id, "Customer"),
    )


class EscalationList(RootList):
    """`escalations(first, after, status)`: tickets.escalations_page."""

    table = Escalation.__table__
    keys = ESCALATION_KEYS
    descending = True
    where = (Where("status", Escalation.status, "enum"),)


class FeedbackList(RootList):
    """`feedback(first, after, customerId)`: feedback.page."""

    table = Feedback.__table__
    keys = FEEDBACK_KEYS
    descending = True
    where = (Where("customerId", Feedback.customer_id, "Customer"),)


class OpportunityList(RootList):
    """`opportunities(first, after, stage, customerId)`: opportunities.page."""

    table = Opportunity.__table__
    keys = OPPORTUNITY_KEYS
    descending = True
    where = (Where("stage", Opportunity.stage, "enums"), Where("customerId", Opportunity.customer_id, "Customer"))


class SalesTargetList(RootList):
    """`salesTargets(first, after, userId, departmentWide)`: sales_targets.page (one person's targets,
    else the department-wide ones when asked, else all); read with the KPIs."""

    table = SalesTarget.__table__
    keys = SALES_TARGET_KEYS
    descending = True
    action = Action.READ_KPIS

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        raw = args.get("userId")
        if raw is not None:
            try:
                values["userId"] = decode_id(raw, "User", "userId")
            except DomainError:
                return None  # the reference's BAD_USER_INPUT
        return (("userId", raw is not None), ("departmentWide", raw is None and bool(args.get("departmentWide"))))

    def filters(self) -> list[Any]:
        features = dict(self.features)
        if features["userId"]:
            return [SalesTarget.user_id == self.param("userId", Uuid())]
        return [SalesTarget.user_id.is_(None)] if features["departmentWide"] else []


class ActionItemList(RootList):
    """`actionItems(first, after, filter: ActionItemFilter)`: action_items.page, the filter's fields as
    plain `Where`s (status and source lists, owner and customer ids) and `overdue` relative to the
    request's clock, as the resolver passes `now` (resolvers/action_items.py)."""

    table = ActionItem.__table__
    keys = ACTION_ITEM_KEYS
    descending = True
    orderings = ACTION_ITEM_ORDERINGS
    where = (
        Where("status", ActionItem.status, "enums"),
        Where("source", ActionItem.source, "enums"),
        Where("ownerId", ActionItem.owner_id, "User"),
        Where("customerId", ActionItem.customer_id, "Customer"),
    )

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        f = args.get("filter") or {}
        features = super().filter_values(f, values)
        if features is None:
            return None
        return (*features, ("overdue", f.get("overdue")))

    def filters(self) -> list[Any]:
        out = super().filters()
        overdue = dict(self.features)["overdue"]
        if overdue is not None:
            out.append(late(ActionItem.__table__.c) if overdue else not_(late(ActionItem.__table__.c)))
        return out


class AuditLogList(RootList):
    """`auditLog(first, after, actorId, entityType, from, to)`: activity.audit_page as resolvers/audit.py
    calls it (its refusals, a bad `entityType` or `to` not after `from`, are the reference's), internal
    entries only for callers who may read internal comments (the caller's actions: one plan per column)."""

    table = Activity.__table__
    keys = ACTIVITY_KEYS
    descending = True
    action = Action.READ_AUDIT_LOG
    where = (Where("actorId", Activity.actor_id, "User"),)

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        features = super().filter_values(args, values)
        start, end, entity_type = utc(args.get("from")), utc(args.get("to")), args.get("entityType")
        if features is None or (start is not None and end is not None and end <= start):
            return None
        if entity_type is not None:
            if not 0 < len(entity_type) <= 40:
                return None
            values["entityType"] = entity_type
        values.update({name: value for name, value in (("from", start), ("to", end)) if value is not None})
        shown = (("entityType", entity_type is not None), ("from", start is not None), ("to", end is not None))
        return (*features, *shown, ("internal", Action.READ_INTERNAL_COMMENTS in self.actions))

    def filters(self) -> list[Any]:
        out, features = super().filters(), dict(self.features)
        if features["entityType"]:
            out.append(Activity.entity_type == self.param("entityType", Text()))
        if features["from"]:
            out.append(Activity.at >= self.param("from", DateTime(timezone=True)))
        if features["to"]:
            out.append(Activity.at < self.param("to", DateTime(timezone=True)))
        if not features["internal"]:
            out.append(Activity.internal.is_(false()))
        return out


class MarketIntelList(RootList):
    """`marketIntel(first, after, kind, tag, search, customerId)`: market_intel.page as
    resolvers/market_intel.py calls it: the search and the tag trimmed and collapsed by the service's
    own `search_term` (a search past SEARCH_MAX is the reference's BAD_USER_INPUT), the tag matched by
    the service's `tag_key` against `tag_keys` (`@>`, the GIN index's operator), the search a substring
    of the title, the body or a tag, any case, its `%` and `_` escaped (ILIKE, as the repository)."""

    table = MarketIntel.__table__
    keys = MARKET_INTEL_KEYS
    descending = True
    where = (Where("kind", MarketIntel.kind, "enums"), Where("customerId", MarketIntel.customer_id, "Customer"))

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        features = super().filter_values(args, values)
        term, key = search_term(args.get("search")), search_term(args.get("tag"))
        if features is None or (term is not None and len(term) > SEARCH_MAX):
            return None
        if term is not None:
            values["search"] = f"%{escape_like(term)}%"
        if key is not None:
            values["tag"] = [tag_key(key)]
        return (*features, ("search", term is not None), ("tag", key is not None))

    def filters(self) -> list[Any]:
        out, features = super().filters(), dict(self.features)
        if features["tag"]:
            out.append(MarketIntel.tag_keys.contains(self.param("tag", ARRAY(Text()))))
        if features["search"]:
            pattern = self.param("search", Text())
            tags = func.array_to_string(MarketIntel.tags, TAG_SEPARATOR)
            out.append(
                or_(
                    MarketIntel.title.ilike(pattern, escape="\\"),
                    MarketIntel.body.ilike(pattern, escape="\\"),
                    tags.ilike(pattern, escape="\\"),
                )
            )
        return out


class MeetingList(RootList):
    """`meetings(first, after, kind)`: meetings.page, the most recently held first."""

    table = Meeting.__table__
    keys = MEETING_KEYS
    descending = True
    where = (Where("kind", Meeting.kind, "enums"),)


class SurveyList(RootList):
    """`surveys(first, after, status)`: surveys.page, newest first."""

    table = Survey.__table__
    keys = SURVEY_KEYS
    descending = True
    where = (Where("status", Survey.status, "enums"),)


class NotificationList(RootList):
    """`notifications(first, after, unread)`: the caller's own inbox, notifications.page with the
    person's user id (a parameter bound per request, sql.USER: callers who are no person, API keys,
    have no OWN_NOTIFICATIONS and get the reference's FORBIDDEN), and `unreadCount` of its connection
    (notifications.unread_count: all the person's unread ones, whatever `unread` and the page say)."""

    table = Notification.__table__
    keys = NOTIFICATION_KEYS
    descending = True
    action = Action.OWN_NOTIFICATIONS

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        return (("unread", args.get("unread")),)

    def filters(self) -> list[Any]:
        unread = dict(self.features)["unread"]
        out = [Notification.user_id == sql.user_param()]
        if unread is not None:
            out.append(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
        return out

    def connection_field(self, name: str) -> Any:
        if name != "unreadCount":
            return super().connection_field(name)
        mine = (Notification.user_id == sql.user_param(), Notification.read_at.is_(None))
        return select(func.count()).select_from(Notification.__table__).where(*mine).scalar_subquery()


ROOTS: dict[str, type[RootList]] = {
    **roots.ROOTS,
    "orders": OrderList,
    "users": UserList,
    "serviceJobs": ServiceJobList,
    "escalations": EscalationList,
    "feedback": FeedbackList,
    "opportunities": OpportunityList,
    "salesTargets": SalesTargetList,
    "actionItems": ActionItemList,
    "auditLog": AuditLogList,
    "marketIntel": MarketIntelList,
    "meetings": MeetingList,
    "surveys": SurveyList,
    "notifications": NotificationList,
}
