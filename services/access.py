"""The authorization matrix of DOMAIN.md, as one table.

Columns are derived from the principal: ADMIN and SUPERVISOR roles act as such whatever their
department; other people act for their department. API keys have their own columns and can only
read (and, for `board`, subscribe).
"""

from __future__ import annotations

from enum import StrEnum

from services.principal import Principal


class Action(StrEnum):
    READ = "read"  # operational data: customers, orders, tickets, feedback, users' names
    READ_CONTACT_DETAILS = "read_contact_details"  # contact phone/email, user email
    READ_INTERNAL_COMMENTS = "read_internal_comments"
    READ_KPIS = "read_kpis"
    SUBSCRIBE = "subscribe"
    WRITE_CUSTOMERS = "write_customers"
    SALES = "sales"  # opportunities, solutions, registration, orders: create, hand off, cancel
    SERVICE_OPERATIONS = "service_operations"  # review solution, ack registration, confirm/return order, jobs
    TICKET_PARTICIPATE = "ticket_participate"  # open ticket, comment, record feedback
    TICKET_HANDLE = "ticket_handle"  # acknowledge, assign, escalate, resolve, close
    CONSULTATION_ANY = "consultation_any"  # post in any joint consultation (participants always may)
    MARKET_INTELLIGENCE = "market_intelligence"
    IMPROVEMENT_ACTIONS = "improvement_actions"
    VERIFY_IMPROVEMENT = "verify_improvement"
    RUN_SURVEYS = "run_surveys"  # create, open, close satisfaction surveys (DOMAIN.md part 2: service, supervisors)
    # Record a joint meeting (DOMAIN.md part 2: leads, supervisors, admins). The matrix has no lead
    # column: marketing and service pass here and services/meetings.py refuses their staff.
    RECORD_MEETINGS = "record_meetings"
    TARGETS_AND_SLA = "targets_and_sla"
    MANAGE_ACCOUNTS = "manage_accounts"  # users and API keys
    READ_AUDIT_LOG = "read_audit_log"  # every recorded change (DOMAIN.md part 2: supervisors and admins)
    OWN_NOTIFICATIONS = "own_notifications"  # one's own inbox and stream: every person, never an API key


_EVERY_PERSON = {
    Action.READ,
    Action.READ_CONTACT_DETAILS,
    Action.READ_INTERNAL_COMMENTS,
    Action.READ_KPIS,
    Action.SUBSCRIBE,
    Action.WRITE_CUSTOMERS,
    Action.TICKET_PARTICIPATE,
    Action.OWN_NOTIFICATIONS,
}

MATRIX: dict[str, frozenset[Action]] = {
    "marketing": frozenset(
        _EVERY_PERSON | {Action.SALES, Action.MARKET_INTELLIGENCE, Action.IMPROVEMENT_ACTIONS, Action.RECORD_MEETINGS}
    ),
    "service": frozenset(
        _EVERY_PERSON
        | {
            Action.SERVICE_OPERATIONS,
            Action.TICKET_HANDLE,
            Action.IMPROVEMENT_ACTIONS,
            Action.RECORD_MEETINGS,
            Action.RUN_SURVEYS,
        }
    ),
    # Management staff who are neither supervisors nor admins: the rights every person has.
    "management": frozenset(_EVERY_PERSON),
    "supervisor": frozenset(
        _EVERY_PERSON
        | {
            Action.CONSULTATION_ANY,
            Action.IMPROVEMENT_ACTIONS,
            Action.VERIFY_IMPROVEMENT,
            Action.RUN_SURVEYS,
            Action.RECORD_MEETINGS,
            Action.TARGETS_AND_SLA,
            Action.READ_AUDIT_LOG,
        }
    ),
    "admin": frozenset(Action),
    "key:reporting": frozenset({Action.READ, Action.READ_KPIS}),
    "key:board": frozenset({Action.READ, Action.SUBSCRIBE}),
}


def column_of(principal: Principal) -> str:
    if not principal.is_user:
        return f"key:{principal.scope}"
    if principal.role == "ADMIN":
        return "admin"
    if principal.role == "SUPERVISOR":
        return "supervisor"
    return {"MARKETING": "marketing", "SERVICE": "service"}.get(principal.department or "", "management")


def allowed(principal: Principal | None, action: Action) -> bool:
    return principal is not None and action in MATRIX[column_of(principal)]
