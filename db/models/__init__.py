"""All mapped tables; importing this package registers them on Base.metadata."""

from db.models.accounts import ApiKey, LoginThrottle, User
from db.models.audit import Activity, Event, IdempotencyRecord
from db.models.comments import WorkItemComment
from db.models.customers import Contact, Customer
from db.models.feedback import Feedback
from db.models.improvement import ActionItem
from db.models.market_intel import MarketIntel
from db.models.meetings import Meeting, MeetingAttendee
from db.models.notifications import Notification
from db.models.orders import Order, OrderItem, ServiceJob
from db.models.presale import Opportunity, Requirement, SalesTarget, Solution
from db.models.rate_limits import ApiKeyRateLimit
from db.models.realtime import EventLogState, SlaAnnouncement
from db.models.surveys import Survey, SurveyTarget
from db.models.tickets import Escalation, EscalationParticipant, RootCauseCategory, SlaPolicy, Ticket, TicketComment

__all__ = [
    "ActionItem",
    "Activity",
    "ApiKey",
    "ApiKeyRateLimit",
    "Contact",
    "Customer",
    "Escalation",
    "EscalationParticipant",
    "Event",
    "EventLogState",
    "Feedback",
    "IdempotencyRecord",
    "LoginThrottle",
    "MarketIntel",
    "Meeting",
    "MeetingAttendee",
    "Notification",
    "Opportunity",
    "Order",
    "OrderItem",
    "Requirement",
    "RootCauseCategory",
    "SalesTarget",
    "ServiceJob",
    "SlaAnnouncement",
    "SlaPolicy",
    "Solution",
    "Survey",
    "SurveyTarget",
    "Ticket",
    "TicketComment",
    "User",
    "WorkItemComment",
]
