"""Every root list the compiler answers: `tickets` and `customers` (roots.py, rules of their own) and
the lists whose arguments are plain filters (`Where`), each as its resolver and repository page
function read them (resolvers/<domain>.py, db/repositories/<domain>.py): the same filters, the
repository's own sort keys (imported, so the ordering and the cursors are the reference's by
construction), newest first where the repository says `descending=True`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Text, Uuid, false, not_

from db.models import ActionItem, Activity, Escalation, Feedback, Opportunity, Order, SalesTarget, ServiceJob, User
from db.repositories.accounts import USER_PAGE_KEYS
from db.repositories.action_items import PAGE_KEYS as ACTION_ITEM_KEYS
from db.repositories.activity import PAGE_KEYS as ACTIVITY_KEYS  # the audit log's own order (by seq)
from db.repositories.feedback import PAGE_KEYS as FEEDBACK_KEYS
from db.repositories.opportunities import PAGE_KEYS as OPPORTUNITY_KEYS
from db.repositories.orders import PAGE_KEYS as ORDER_KEYS
from db.repositories.sales_targets import PAGE_KEYS as SALES_TARGET_KEYS
from db.repositories.service_jobs import PAGE_KEYS as SERVICE_JOB_KEYS
from db.repositories.tickets import ESCALATION_PAGE_KEYS as ESCALATION_KEYS
from resolvers.times import utc
from schema.compiled import roots
from schema.compiled.roots import RootList, Where
from schema.compiled.specials import late
from schema.ids import decode_id
from services.access import Action
from services.errors import DomainError


class OrderList(RootList):
    """`orders(first, after, status, customerId)`: orders.page."""

    table = Order.__table__
    keys = ORDER_KEYS
    descending = True
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
}
