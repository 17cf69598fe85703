"""`services.access.allowed` against the roles matrix of DOMAIN.md (plain unit tests, no database).

The expected table below is written out from DOMAIN.md by hand, not derived from `MATRIX`, so a
change to the matrix that the spec does not back makes a test fail.
"""

from __future__ import annotations

import uuid

import pytest

from services.access import MATRIX, Action, allowed, column_of
from services.principal import Principal, PrincipalKind

A = Action

# Rights every person has (DOMAIN: "All staff may read all operational data", plus the rows of the
# write matrix that are ✓ in every column without qualification).
EVERY_PERSON = {
    A.READ,
    A.READ_CONTACT_DETAILS,
    A.READ_INTERNAL_COMMENTS,
    A.READ_KPIS,
    A.SUBSCRIBE,
    A.WRITE_CUSTOMERS,  # customers, contacts: ✓ ✓ ✓ ✓
    A.TICKET_PARTICIPATE,  # open ticket, comment, record feedback: ✓ ✓ ✓ ✓
    A.OWN_NOTIFICATIONS,  # part 2: "each person reads and marks only their own; API keys have none"
}

EXPECTED: dict[str, set[Action]] = {
    # Meetings (DOMAIN.md part 2: leads, supervisors, admins): the matrix lets marketing and service
    # through, services/meetings.py refuses their staff (tests/web/test_meetings.py).
    "marketing": EVERY_PERSON | {A.SALES, A.MARKET_INTELLIGENCE, A.IMPROVEMENT_ACTIONS, A.RECORD_MEETINGS},
    # Surveys (DOMAIN.md part 2): service runs them, supervisors too (and admins).
    "service": EVERY_PERSON
    | {A.SERVICE_OPERATIONS, A.TICKET_HANDLE, A.IMPROVEMENT_ACTIONS, A.RECORD_MEETINGS, A.RUN_SURVEYS},
    # MANAGEMENT staff/leads are in none of the matrix columns: they get what every person gets.
    # (Improvement actions are not included: the supervisor's ✓ there is qualified "(verify)", so that
    # row is not an every-person right. See the report.)
    "management": set(EVERY_PERSON),
    # DOMAIN.md part 2: the audit log is for supervisors and admins.
    "supervisor": EVERY_PERSON
    | {
        A.CONSULTATION_ANY,
        A.IMPROVEMENT_ACTIONS,
        A.VERIFY_IMPROVEMENT,
        A.RECORD_MEETINGS,
        A.RUN_SURVEYS,
        A.TARGETS_AND_SLA,
        A.READ_AUDIT_LOG,
    },
    "admin": set(Action),
    # reporting: KPIs, aggregates and lists; never contact details, never writes, never subscribes.
    "key:reporting": {A.READ, A.READ_KPIS},
    # board: subscribes, reads tickets and orders; no contact details, no internal comments, never writes.
    "key:board": {A.READ, A.SUBSCRIBE},
}

WRITES = {
    A.WRITE_CUSTOMERS,
    A.SALES,
    A.SERVICE_OPERATIONS,
    A.TICKET_PARTICIPATE,
    A.TICKET_HANDLE,
    A.CONSULTATION_ANY,
    A.MARKET_INTELLIGENCE,
    A.IMPROVEMENT_ACTIONS,
    A.VERIFY_IMPROVEMENT,
    A.RECORD_MEETINGS,
    A.RUN_SURVEYS,
    A.TARGETS_AND_SLA,
    A.MANAGE_ACCOUNTS,
    A.OWN_NOTIFICATIONS,  # marking one's own read
}


def person(department: str, role: str) -> Principal:
    return Principal(PrincipalKind.USER, uuid.uuid4(), f"{department} {role}", department=department, role=role)


def key(scope: str) -> Principal:
    return Principal(PrincipalKind.API_KEY, uuid.uuid4(), f"{scope} key", scope=scope)


DEPARTMENTS = ("MARKETING", "SERVICE", "MANAGEMENT")
# (label, principal, expected column): STAFF and LEAD act for their department; SUPERVISOR and ADMIN
# act as such whatever their department.
PRINCIPALS = [
    *((f"{d} {r}", person(d, r), d.lower()) for d in DEPARTMENTS for r in ("STAFF", "LEAD")),
    *((f"{d} {r}", person(d, r), r.lower()) for r in ("SUPERVISOR", "ADMIN") for d in DEPARTMENTS),
    ("reporting key", key("reporting"), "key:reporting"),
    ("board key", key("board"), "key:board"),
]


def test_the_expected_table_knows_every_action():
    """A new Action must be placed in the expected table (and thought about) before this passes."""
    assert set(Action) == set().union(*EXPECTED.values())
    reads = {A.READ, A.READ_CONTACT_DETAILS, A.READ_INTERNAL_COMMENTS, A.READ_KPIS, A.READ_AUDIT_LOG, A.SUBSCRIBE}
    assert WRITES | reads == set(Action)
    assert set(MATRIX) == set(EXPECTED)


@pytest.mark.parametrize(("label", "principal", "column"), PRINCIPALS, ids=[p[0] for p in PRINCIPALS])
def test_column_of(label, principal, column):
    assert column_of(principal) == column


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
@pytest.mark.parametrize(("label", "principal", "column"), PRINCIPALS, ids=[p[0] for p in PRINCIPALS])
def test_allowed_matches_the_matrix(label, principal, column, action):
    assert allowed(principal, action) is (action in EXPECTED[column]), f"{label} / {action.value}"


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_nobody_is_allowed_anything_without_a_principal(action):
    assert allowed(None, action) is False


@pytest.mark.parametrize("scope", ["reporting", "board"])
def test_api_keys_never_write_and_never_see_contact_details(scope):
    principal = key(scope)
    assert [a for a in WRITES if allowed(principal, a)] == []
    assert not allowed(principal, A.READ_CONTACT_DETAILS)
    assert not allowed(principal, A.READ_INTERNAL_COMMENTS)
    assert allowed(principal, A.READ)


def test_only_the_reporting_key_reads_kpis_and_only_the_board_key_subscribes():
    assert allowed(key("reporting"), A.READ_KPIS) and not allowed(key("reporting"), A.SUBSCRIBE)
    assert allowed(key("board"), A.SUBSCRIBE) and not allowed(key("board"), A.READ_KPIS)


def test_an_api_key_is_judged_by_its_scope_not_by_person_fields():
    """Person attributes on a key principal (should they ever be set) must not lend it a person's rights."""
    odd = Principal(PrincipalKind.API_KEY, uuid.uuid4(), "odd", department="SERVICE", role="ADMIN", scope="reporting")
    assert column_of(odd) == "key:reporting"
    assert not allowed(odd, A.MANAGE_ACCOUNTS)
    assert not allowed(odd, A.WRITE_CUSTOMERS)


def test_department_specific_work_stays_in_its_department():
    marketing, service = person("MARKETING", "LEAD"), person("SERVICE", "LEAD")
    assert allowed(marketing, A.SALES) and not allowed(service, A.SALES)
    assert allowed(service, A.SERVICE_OPERATIONS) and not allowed(marketing, A.SERVICE_OPERATIONS)
    assert allowed(service, A.TICKET_HANDLE) and not allowed(marketing, A.TICKET_HANDLE)
    assert allowed(marketing, A.MARKET_INTELLIGENCE) and not allowed(service, A.MARKET_INTELLIGENCE)
    # A supervisor supervises: no sales, no service operations, no ticket handling, even in a department.
    for dept in ("MARKETING", "SERVICE", "MANAGEMENT"):
        sup = person(dept, "SUPERVISOR")
        assert (
            not allowed(sup, A.SALES) and not allowed(sup, A.SERVICE_OPERATIONS) and not allowed(sup, A.TICKET_HANDLE)
        )
        assert allowed(sup, A.TARGETS_AND_SLA) and not allowed(sup, A.MANAGE_ACCOUNTS)


@pytest.mark.parametrize("role", ["STAFF", "LEAD", "SUPERVISOR"])
@pytest.mark.parametrize("department", ["MARKETING", "SERVICE", "MANAGEMENT"])
def test_only_admins_manage_accounts(department, role):
    assert not allowed(person(department, role), A.MANAGE_ACCOUNTS)
    assert allowed(person(department, "ADMIN"), A.MANAGE_ACCOUNTS)
