"""Property: for random valid selections, arguments and callers, both executors give the same JSON.

Hypothesis draws a query over the root lists (`tickets`, `customers`, `orders`, `users`, `serviceJobs`,
`escalations`, `feedback`, `opportunities`, `salesTargets`) and `eventCursor` (subsets of fields, nested
relations, aliases, named and inline fragments, @include/@skip, random `first`, filters and search
terms, any of the five callers) and sends it to both apps. `TANDEM_HYPOTHESIS_EXAMPLES` sets the
number of examples (default 40, about half a minute; CI's long run: 1000).

The test is synchronous and runs its own event loop: Hypothesis calls the check once per example,
which cannot be awaited from the suite's loop; everything the check uses is created in that loop.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.session import Database
from schema.context import AppServices
from services.auth import TokenService
from services.clock import ManualClock
from settings import Settings
from tests.support.accounts import TEST_SECRET, UNLIMITED_KEYS
from tests.support.compiled import PRINCIPALS, Pair, canonical

EXAMPLES = int(os.environ.get("TANDEM_HYPOTHESIS_EXAMPLES", "40"))

USER = ["id", "name", "department", "role", "active", "version", "email", "__typename"]
CONTACT = ["id", "name", "title", "isPrimary", "phone", "email"]
ORDER = ["id", "number", "status", "createdAt", "handedOffAt", "confirmedAt", "version", "deliveryDate"]
ORDER += ["contractValue", "specialRequirements", "returnReason", "confirmationDueAt", "completedAt", "__typename"]
ORDER_ITEM = ["productModel", "description", "quantity", "unitPrice"]
SERVICE_JOB = ["id", "number", "kind", "status", "scheduledStart", "scheduledEnd", "startedAt", "completedAt"]
SERVICE_JOB += ["cancelledAt", "qualityResult", "notes", "version"]
FEEDBACK = ["id", "source", "score", "comment", "recordedAt", "__typename"]
OPPORTUNITY = ["id", "title", "stage", "requirementsConfirmedAt", "requirementsConfirmedBy", "solutionReviewDueAt"]
OPPORTUNITY += ["registeredAt", "registrationAckDueAt", "registrationAcknowledgedAt", "preparationNotes"]
OPPORTUNITY += ["lostReason", "closedAt", "createdAt", "updatedAt", "version"]
REQUIREMENT = ["id", "description", "priority"]
SOLUTION = ["id", "version", "summary", "details", "submittedAt", "reviewDueAt"]
REVIEW = ["decision", "technicalFeasibility", "serviceability", "comments", "reviewedAt"]
SALES_TARGET = ["id", "department", "periodStart", "periodEnd", "amount", "createdAt", "updatedAt", "version"]
COMMENT = ["id", "body", "visibility", "createdAt"]
SLA = ["firstResponseDueAt", "resolutionDueAt", "firstResponseState", "resolutionState", "state"]
ROOT_CAUSE = ["code", "label", "active", "version"]
TICKET = ["id", "number", "kind", "priority", "status", "subject", "createdAt", "updatedAt", "firstRespondedAt"]
TICKET += ["resolvedAt", "closedAt", "resolutionSummary", "version", "__typename"]
ESCALATION = ["id", "reason", "requestedAt", "status", "plan", "closedAt", "version"]
CUSTOMER = ["id", "code", "name", "industry", "region", "lifecycleStage", "createdAt", "version"]
SEARCHES = ["a", "T-00", "GmbH", "%", "_", "  ", "zzz", "ä"]


def _names(fields: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(fields), min_size=1, max_size=5, unique=True)


@st.composite
def selection(draw, scalars: list[str], relations: dict) -> str:
    parts = []
    for name in draw(_names(scalars)):
        alias = draw(st.sampled_from(["", "", "", f"{name}A: "]))
        parts.append(alias.replace("__typenameA", "tn") + name)
    for name, inner in relations.items():
        if draw(st.booleans()):
            body = draw(inner)
            directive = draw(st.sampled_from(["", "", " @include(if: $yes)", " @skip(if: $yes)", " @skip(if: false)"]))
            parts.append(f"{name}{directive} {{ {body} }}")
    draw(st.randoms()).shuffle(parts)
    return " ".join(parts)


def user() -> st.SearchStrategy[str]:
    return selection(USER, {})


def ticket() -> st.SearchStrategy[str]:
    customer = selection(CUSTOMER, {"owner": user(), "contacts": selection(CONTACT, {})})
    escalation = selection(ESCALATION, {"requestedBy": user(), "participants": user(), "closedBy": user()})
    relations = {
        "customer": customer,
        "assignee": user(),
        "createdBy": user(),
        "order": selection(ORDER, {}),
        "sla": selection(SLA, {}),
        "rootCause": selection(ROOT_CAUSE, {}),
        "escalation": escalation,
    }
    return selection(TICKET, relations)


def customer() -> st.SearchStrategy[str]:
    return selection(CUSTOMER, {"owner": user(), "contacts": selection(CONTACT, {})})


def order() -> st.SearchStrategy[str]:
    relations = {
        "customer": customer(),
        "owner": user(),
        "handedOffBy": user(),
        "confirmedBy": user(),
        "opportunity": selection(OPPORTUNITY, {"owner": user()}),
        "items": selection(ORDER_ITEM, {}),
        "serviceJobs": selection(SERVICE_JOB, {"technician": user()}),
    }
    return selection(ORDER, relations)


def service_job() -> st.SearchStrategy[str]:
    return selection(SERVICE_JOB, {"order": selection(ORDER, {}), "customer": customer(), "technician": user()})


def escalation() -> st.SearchStrategy[str]:
    relations = {
        "ticket": selection(TICKET, {"assignee": user()}),
        "requestedBy": user(),
        "closedBy": user(),
        "participants": user(),
        "notes": selection(COMMENT, {"author": user()}),
    }
    return selection(ESCALATION, relations)


def feedback() -> st.SearchStrategy[str]:
    relations = {"customer": customer(), "order": selection(ORDER, {}), "ticket": selection(TICKET, {})}
    return selection(FEEDBACK, {**relations, "recordedBy": user()})


def opportunity() -> st.SearchStrategy[str]:
    solution = selection(SOLUTION, {"submittedBy": user(), "review": selection(REVIEW, {"reviewer": user()})})
    relations = {
        "customer": customer(),
        "owner": user(),
        "serviceLead": user(),
        "registrationAcknowledgedBy": user(),
        "order": selection(ORDER, {}),
        "requirements": selection(REQUIREMENT, {}),
        "solutions": solution,
        "currentSolution": solution,
    }
    return selection(OPPORTUNITY, relations)


def sales_target() -> st.SearchStrategy[str]:
    return selection(SALES_TARGET, {"user": user()})


@st.composite
def enums(draw, name: str, values: list[str], single: bool = False) -> str:
    if single:
        return f"{name}: {draw(st.sampled_from([*values, 'null']))}"
    return f"{name}: [{', '.join(draw(st.lists(st.sampled_from(values), max_size=3, unique=True)))}]"


# The other root lists: (type, node selection, argument strategies, each drawn or not).
LISTS = {
    "orders": ("Order", order, [enums("status", ["DRAFT", "HANDED_OFF", "CONFIRMED", "IN_SERVICE", "COMPLETED"])]),
    "users": (
        "User",
        user,
        [enums("department", ["MARKETING", "SERVICE", "MANAGEMENT"], True), enums("active", ["true", "false"], True)],
    ),
    "serviceJobs": (
        "ServiceJob",
        service_job,
        [enums("status", ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "CANCELLED"])],
    ),
    "escalations": ("Escalation", escalation, [enums("status", ["OPEN", "CLOSED"], True)]),
    "feedback": ("Feedback", feedback, []),
    "opportunities": ("Opportunity", opportunity, [enums("stage", ["REQUIREMENTS", "REVIEW", "WON", "LOST"])]),
    "salesTargets": ("SalesTarget", sales_target, [enums("departmentWide", ["true", "false"], True)]),
}


@st.composite
def ticket_filter(draw) -> str:
    parts = []
    for name, values in (
        ("status", ["NEW", "ACKNOWLEDGED", "IN_PROGRESS", "ESCALATED", "RESOLVED", "CLOSED", "REOPENED"]),
        ("priority", ["LOW", "NORMAL", "HIGH", "URGENT"]),
        ("kind", ["INQUIRY", "COMPLAINT", "QUALITY_ISSUE", "SUGGESTION", "SERVICE_REQUEST"]),
    ):
        if draw(st.integers(0, 3)) == 0:
            parts.append(f"{name}: [{', '.join(draw(st.lists(st.sampled_from(values), max_size=3, unique=True)))}]")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"escalated: {draw(st.sampled_from(['true', 'false', 'null']))}")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"slaState: {draw(st.sampled_from(['ON_TRACK', 'AT_RISK', 'BREACHED', 'MET']))}")
    if draw(st.integers(0, 4)) == 0:
        parts.append(f'search: "{draw(st.sampled_from(SEARCHES))}"')
    return f"{{{', '.join(parts)}}}"


@st.composite
def connection(draw, node: st.SearchStrategy[str], type_name: str) -> str:
    node_body = draw(node)
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = []
    if wrap == "inline":
        node_body = f"... on {type_name} {{ {node_body} }}"
        if type_name != "Escalation":  # the one listed type that is no Node
            node_body += " ... on Node { id }"
    elif wrap == "fragment":
        fragments.append(f"fragment N{type_name} on {type_name} {{ {node_body} }}")
        node_body = f"...N{type_name}"
    parts = []
    if draw(st.booleans()):
        parts.append("totalCount")
    if draw(st.booleans()):
        page_fields = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
        parts.append(f"pageInfo {{ {' '.join(draw(_names(page_fields)))} }}")
    cursor = "cursor " if draw(st.booleans()) else ""
    parts.append(f"edges {{ {cursor}node {{ {node_body} }} }}")
    return " ".join(parts), fragments


@st.composite
def query(draw) -> tuple[str, dict]:
    roots, fragments = [], []
    for i in range(draw(st.integers(1, 2))):
        first = draw(st.one_of(st.none(), st.integers(0, 25)))
        args = [] if first is None else [f"first: {first}"]
        kind = draw(st.sampled_from(["tickets", "customers", "other"]))
        if kind == "tickets":
            body, more = draw(connection(ticket(), "Ticket"))
            if draw(st.booleans()):
                args.append(f"filter: {draw(ticket_filter())}")
            root = "tickets"
        elif kind == "other":
            root = draw(st.sampled_from(sorted(LISTS)))
            type_name, node, arguments = LISTS[root]
            body, more = draw(connection(node(), type_name))
            args += [draw(argument) for argument in arguments if draw(st.booleans())]
            if root == "salesTargets":
                args = [a.replace("departmentWide: null", "departmentWide: false") for a in args]
        else:
            body, more = draw(connection(customer(), "Customer"))
            if draw(st.integers(0, 2)) == 0:
                args.append(f'search: "{draw(st.sampled_from(SEARCHES))}"')
            root = "customers"
        fragments += [f for f in more if f not in fragments]
        arguments = f"({', '.join(args)})" if args else ""
        roots.append(f"r{i}: {root}{arguments} {{ {body} }}")
    if draw(st.booleans()):
        roots.append("eventCursor")
    # `$yes` is always used (an unused variable is a validation error, which neither executor runs).
    roots.append("typename: __typename @include(if: $yes)")
    text = f"query Q($yes: Boolean!) {{ {' '.join(roots)} }} " + " ".join(fragments)
    return text, {"yes": draw(st.booleans())}


async def _pair(db_url: str) -> Pair:
    settings_ = Settings.from_env(
        # The keys' limits as in tests/conftest.py: a walk of many pages must not run into them.
        {"DATABASE_URL": db_url, "TANDEM_ENV": "development", "TANDEM_SECRET_KEY": TEST_SECRET, **UNLIMITED_KEYS}
    )
    db = Database.connect(db_url, pool_size=5, statement_timeout_ms=settings_.statement_timeout_ms)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    services = AppServices(
        db=db, clock=clock, tokens=TokenService(TEST_SECRET, timedelta(hours=12)), settings=settings_
    )
    return await Pair.start(services, customers=25)


def _same_bubbled_refusal(outcome: Any) -> bool:
    """Both apps answered on the reference executor (a gated field), and a refusal nulled the whole
    `data`: then graphql-core reports the failing non-null field that completed first, and with two
    root lists that is a matter of timing, so two runs of the reference itself may name different
    ones. The status, the null data and the error codes must still agree."""
    compiled, reference = outcome.compiled, outcome.reference
    if outcome.answered_compiled or compiled["body"].get("data") is not None:
        return False

    def codes(answer: Any) -> set[str]:
        return {e["extensions"]["code"] for e in answer["body"].get("errors", [])}

    return (
        reference["body"].get("data") is None
        and compiled["status"] == reference["status"]
        and codes(compiled) == codes(reference) != set()
    )


def test_random_selections_agree(db_url):
    loop = asyncio.new_event_loop()
    pair = loop.run_until_complete(_pair(db_url))
    compiled = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=query(), principal=st.sampled_from(PRINCIPALS))
    def check(case: tuple[str, dict], principal: str) -> None:
        text, variables = case
        outcome = loop.run_until_complete(pair.both(text, variables, principal))
        assert outcome.same or _same_bubbled_refusal(outcome), (
            f"{principal}: {text} {variables}\ncompiled:  {canonical(outcome.compiled).decode()[:2000]}\n"
            f"reference: {canonical(outcome.reference).decode()[:2000]}"
        )
        compiled.append(outcome.answered_compiled)

    try:
        check()
    finally:
        loop.run_until_complete(pair.close())
        loop.run_until_complete(pair.services.db.dispose())
        loop.close()
    # Most draws compile (the rest ask a key for a gated field): the property is not vacuous.
    assert sum(compiled) >= len(compiled) // 2, (sum(compiled), len(compiled))
