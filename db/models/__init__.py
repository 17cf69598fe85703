"""All mapped tables; importing this package registers them on Base.metadata."""
from db.models.accounts import ApiKey, LoginThrottle, User
from db.models.audit import Activity, Event, IdempotencyRecord
from db.models.customers import Contact, Customer
from db.models.feedback import Feedback
from db.models.orders import Order, OrderItem, ServiceJob
from db.models.presale import Opportunity, Requirement, SalesTarget, Solution
from db.models.realtime import EventLogState, SlaAnnouncement
from db.models.tickets import Escalation, EscalationParticipant, RootCauseCategory, SlaPolicy, Ticket, TicketComment

__all__ = ["User", "ApiKey", "LoginThrottle", "Customer", "Contact", "Activity", "Event", "IdempotencyRecord",
           "Order", "OrderItem", "ServiceJob", "Feedback",
           "Ticket", "TicketComment", "Escalation", "EscalationParticipant", "SlaPolicy", "RootCauseCategory",
           "Opportunity", "Requirement", "Solution", "SalesTarget", "SlaAnnouncement", "EventLogState"]
