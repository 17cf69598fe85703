"""Satisfaction surveys (滿意度調查) over HTTP: a survey's life from DRAFT to CLOSED, its answers (feedback
of source SURVEY, one per target, only while OPEN), its counts, the action item a low mean opens for the
service lead, refusals that change nothing, idempotency, and the permission matrix for every caller."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from services.action_items import SURVEY_ACTION_DUE
from tests.support.accounts import PEOPLE, PRINCIPALS, credential, fast_account
from tests.support.database import all_rows, scalar, statements
from tests.support.graphql import error_codes, refused
from tests.support.orders import event_types, gid, new_customer, raw_id

ERRORS = "errors { code message field }"
SURVEY = """id title status opensAt closesAt targetCount responseCount responseRate averageScore scoreDistribution
  version createdBy { name } actionItems { source status title dueAt owner { name } survey { id } customer { id } }"""
CREATE = f"mutation($i: CreateSurveyInput!) {{ createSurvey(input: $i) {{ survey {{ {SURVEY} }} {ERRORS} }} }}"
OPEN = f"mutation($i: SurveyActionInput!) {{ openSurvey(input: $i) {{ survey {{ {SURVEY} }} {ERRORS} }} }}"
CLOSE = f"mutation($i: SurveyActionInput!) {{ closeSurvey(input: $i) {{ survey {{ {SURVEY} }} {ERRORS} }} }}"
RECORD = f"""mutation($i: RecordFeedbackInput!) {{ recordFeedback(input: $i) {{
  feedback {{ id source score survey {{ id title }} }} {ERRORS} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on Survey {{ {SURVEY}
  targets(first: 10) {{ totalCount edges {{ node {{ name }} }} }}
  responses(first: 10) {{ totalCount edges {{ node {{ score customer {{ name }} survey {{ id }} }} }} }} }} }} }}"""
LIST = "query($s: [SurveyStatus!]) { surveys(first: 20, status: $s) { totalCount edges { node { title status } } } }"
AUDIT = (
    """query { auditLog(first: 20, entityType: "Survey") { edges { node { action changes { field old new } } } } }"""
)
TABLES = ("surveys", "survey_targets", "feedback", "action_items", "activity", "events", "idempotency_records")


@pytest.fixture
async def team(services):
    return {
        "servicer": await fast_account(services, "SERVICE", name="Sofia Alvarez"),
        "seller": await fast_account(services, "MARKETING", name="Marco Rossi"),
        "lead": await fast_account(services, "SERVICE", "LEAD", name="Sven Larsen"),
        "supervisor": await fast_account(services, "MANAGEMENT", "SUPERVISOR", name="Sam Supervisor"),
    }


async def customers(services, *names: str) -> list[str]:
    return [gid("Customer", (await new_customer(services, name)).id) for name in names]


def survey_input(clock, customer_ids: list[str], **extra) -> dict:
    now = clock.now()
    return {
        "title": "Q4 installation satisfaction",
        "opensAt": now.isoformat(),
        "closesAt": (now + timedelta(days=14)).isoformat(),
        "customerIds": customer_ids,
        **extra,
    }


def step(survey: dict, **extra) -> dict:
    return {"surveyId": survey["id"], "expectedVersion": survey["version"], **extra}


def answer(survey: dict, customer: str, score: int, **extra) -> dict:
    return {"i": {"customerId": customer, "source": "SURVEY", "score": score, "surveyId": survey["id"], **extra}}


async def open_survey(gql, clock, token: str, customer_ids: list[str], **extra) -> dict:
    made = await gql.mutate("createSurvey", CREATE, {"i": survey_input(clock, customer_ids, **extra)}, token)
    return (await gql.mutate("openSurvey", OPEN, {"i": step(made["survey"])}, token))["survey"]


async def test_a_survey_from_draft_to_closed_with_a_low_mean(gql, services, clock, team):
    servicer, seller = team["servicer"], team["seller"]
    targets = await customers(services, "Alder Foods", "Birch Labs", "Cedar Hotels", "Dune Energy", "Elm Retail")
    [outsider] = await customers(services, "Fir Logistics")
    survey = (await gql.mutate("createSurvey", CREATE, {"i": survey_input(clock, targets)}, servicer.token))["survey"]
    assert survey["status"] == "DRAFT" and survey["createdBy"] == {"name": "Sofia Alvarez"}
    assert (survey["targetCount"], survey["responseCount"], survey["responseRate"]) == (5, 0, 0.0)
    assert survey["averageScore"] is None and survey["scoreDistribution"] == [0, 0, 0, 0, 0]

    # No answer while DRAFT: refused, and nothing changed.
    before = await all_rows(services, TABLES)
    errors = await refused(gql, "recordFeedback", RECORD, answer(survey, targets[0], 4), seller.token)
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"] and "DRAFT" in errors[0]["message"]
    assert await all_rows(services, TABLES) == before

    survey = (await gql.mutate("openSurvey", OPEN, {"i": step(survey)}, servicer.token))["survey"]
    assert survey["status"] == "OPEN"
    # Marketing helps record the answers; 3 + 3 + 4 = a mean of 3.33 (no score low enough for an action of its own).
    for customer, score in zip(targets, (3, 3, 4), strict=False):
        recorded = await gql.mutate("recordFeedback", RECORD, answer(survey, customer, score), seller.token)
        assert recorded["feedback"]["source"] == "SURVEY" and recorded["feedback"]["survey"]["id"] == survey["id"]

    read = (await gql.ok(NODE, {"id": survey["id"]}, servicer.token))["node"]
    assert (read["targetCount"], read["responseCount"], read["responseRate"]) == (5, 3, 0.6)
    assert read["scoreDistribution"] == [0, 0, 2, 1, 0]
    assert read["averageScore"] == pytest.approx(10 / 3)
    assert [e["node"]["name"] for e in read["targets"]["edges"]] == [
        "Alder Foods",
        "Birch Labs",
        "Cedar Hotels",
        "Dune Energy",
        "Elm Retail",
    ]
    assert read["responses"]["totalCount"] == 3
    assert {e["node"]["survey"]["id"] for e in read["responses"]["edges"]} == {survey["id"]}

    # Refused answers change nothing: a non-target, a second answer, a surveyId with another source, no such survey.
    before = await all_rows(services, TABLES)
    cases = [
        (answer(survey, outsider, 5), "VALIDATION", ["customerId"]),
        (answer(survey, targets[0], 5), "DUPLICATE", ["customerId"]),
        (answer(survey, targets[3], 5, source="RETURN_VISIT"), "VALIDATION", ["source"]),
        (answer({"id": gid("Survey", raw_id(targets[3]))}, targets[3], 5), "NOT_FOUND", ["surveyId"]),
    ]
    for variables, code, field in cases:
        errors = await refused(gql, "recordFeedback", RECORD, variables, seller.token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], (variables, errors)
    assert await all_rows(services, TABLES) == before

    # Closing: a stale version is refused; then the mean of 3.33 opens one action item for the service lead.
    stale = step(survey, expectedVersion=survey["version"] - 1)
    errors = await refused(gql, "closeSurvey", CLOSE, {"i": stale}, servicer.token)
    assert [e["code"] for e in errors] == ["VERSION_CONFLICT"]
    assert await all_rows(services, TABLES) == before
    closed = (await gql.mutate("closeSurvey", CLOSE, {"i": step(survey)}, servicer.token))["survey"]
    assert closed["status"] == "CLOSED" and closed["version"] == survey["version"] + 1
    [item] = closed["actionItems"]
    assert item["source"] == "SURVEY" and item["status"] == "OPEN" and item["owner"] == {"name": "Sven Larsen"}
    assert item["survey"] == {"id": survey["id"]} and item["customer"] is None
    assert item["dueAt"] == (clock.now() + SURVEY_ACTION_DUE).isoformat() and "3.33" in item["title"]
    assert await scalar(services, "SELECT count(*) FROM action_items") == 1

    # After closing: no answer, no second close, nothing changed.
    before = await all_rows(services, TABLES)
    errors = await refused(gql, "recordFeedback", RECORD, answer(survey, targets[4], 5), seller.token)
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"] and "CLOSED" in errors[0]["message"]
    errors = await refused(gql, "closeSurvey", CLOSE, {"i": step(closed)}, servicer.token)
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]
    assert await all_rows(services, TABLES) == before

    # Each step is an event and an activity with its field changes.
    assert await event_types(services, raw_id(survey["id"])) == ["SURVEY_CREATED", "SURVEY_OPENED", "SURVEY_CLOSED"]
    log = (await gql.ok(AUDIT, None, team["supervisor"].token))["auditLog"]["edges"]
    changes = {e["node"]["action"]: e["node"]["changes"] for e in log}
    assert {"field": "targetCount", "old": None, "new": "5"} in changes["survey.created"]
    assert changes["survey.opened"] == [{"field": "status", "old": "DRAFT", "new": "OPEN"}]
    assert changes["survey.closed"] == [{"field": "status", "old": "OPEN", "new": "CLOSED"}]
    listed = (await gql.ok(LIST, {"s": ["CLOSED"]}, seller.token))["surveys"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["status"] == "CLOSED"


async def test_a_mean_of_3_5_or_no_answer_opens_no_action(gql, services, clock, team):
    servicer, seller = team["servicer"], team["seller"]
    first, second = await customers(services, "Gale Textiles", "Holm Pharma")
    survey = await open_survey(gql, clock, servicer.token, [first, second])
    await gql.mutate("recordFeedback", RECORD, answer(survey, first, 4), seller.token)
    await gql.mutate("recordFeedback", RECORD, answer(survey, second, 3), seller.token)
    closed = (await gql.mutate("closeSurvey", CLOSE, {"i": step(survey)}, servicer.token))["survey"]
    assert closed["averageScore"] == 3.5 and closed["responseRate"] == 1.0 and closed["actionItems"] == []

    unanswered = await open_survey(gql, clock, servicer.token, [first], title="Nobody answered")
    closed = (await gql.mutate("closeSurvey", CLOSE, {"i": step(unanswered)}, servicer.token))["survey"]
    assert closed["averageScore"] is None and closed["responseRate"] == 0.0 and closed["actionItems"] == []
    assert await scalar(services, "SELECT count(*) FROM action_items") == 0


async def test_without_a_service_lead_the_supervisor_owns_the_action(gql, services, clock, team):
    async with services.db.sessions() as session, session.begin():
        await session.execute(text("UPDATE users SET active = false WHERE id = :u"), {"u": team["lead"].user.id})
    [customer] = await customers(services, "Iris Packaging")
    survey = await open_survey(gql, clock, team["supervisor"].token, [customer])
    await gql.mutate("recordFeedback", RECORD, answer(survey, customer, 1), team["servicer"].token)
    closed = (await gql.mutate("closeSurvey", CLOSE, {"i": step(survey)}, team["supervisor"].token))["survey"]
    assert [i["owner"]["name"] for i in closed["actionItems"]] == ["Sam Supervisor"]


async def test_creating_refuses_bad_input_and_changes_nothing(gql, services, clock, team):
    token = team["servicer"].token
    a, b = await customers(services, "Jade Automotive", "Kite Labs")
    now = clock.now()
    before = await all_rows(services, TABLES)
    cases = [
        ({"customerIds": []}, "VALIDATION", ["customerIds"]),
        ({"customerIds": [a, b, a]}, "VALIDATION", ["customerIds"]),
        ({"customerIds": [a, gid("Customer", raw_id(team["seller"].gid))]}, "NOT_FOUND", ["customerIds"]),
        ({"customerIds": [a, team["seller"].gid]}, "VALIDATION", ["customerIds"]),  # not a customer id
        ({"closesAt": (now - timedelta(days=1)).isoformat()}, "VALIDATION", ["closesAt"]),
        ({"closesAt": now.isoformat()}, "VALIDATION", ["closesAt"]),
        ({"title": "   "}, "VALIDATION", ["title"]),
    ]
    for extra, code, field in cases:
        data = {**survey_input(clock, [a, b]), **extra}
        errors = await refused(gql, "createSurvey", CREATE, {"i": data}, token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], (extra, errors)
    assert await all_rows(services, TABLES) == before
    unknown = {"surveyId": gid("Survey", raw_id(a))}
    assert [e["code"] for e in await refused(gql, "openSurvey", OPEN, {"i": unknown}, token)] == ["NOT_FOUND"]


async def test_create_is_idempotent_and_open_checks_the_version(gql, services, clock, team):
    token = team["servicer"].token
    ids = await customers(services, "Lark Foods", "Moss Energy")
    data = survey_input(clock, ids, idempotencyKey="q4-survey")
    first = (await gql.mutate("createSurvey", CREATE, {"i": data}, token))["survey"]
    again = (await gql.mutate("createSurvey", CREATE, {"i": data}, token))["survey"]
    assert again["id"] == first["id"] and again["targetCount"] == 2
    assert await scalar(services, "SELECT count(*) FROM surveys") == 1
    assert await scalar(services, "SELECT count(*) FROM survey_targets") == 2
    assert await event_types(services, raw_id(first["id"])) == ["SURVEY_CREATED"]
    # The same key with another request is refused.
    errors = await refused(gql, "createSurvey", CREATE, {"i": {**data, "title": "Another"}}, token)
    assert [e["code"] for e in errors] == ["DUPLICATE"]
    stale = step(first, expectedVersion=first["version"] + 1)
    assert [e["code"] for e in await refused(gql, "openSurvey", OPEN, {"i": stale}, token)] == ["VERSION_CONFLICT"]


async def test_an_action_item_may_name_the_survey_it_comes_from(gql, services, clock, team):
    servicer = team["servicer"]
    asked, other = await customers(services, "Nord Hospital", "Oak Retail")
    survey = await open_survey(gql, clock, servicer.token, [asked])
    query = """mutation($i: CreateActionItemInput!) { createActionItem(input: $i) {
      actionItem { source survey { id title status } customer { name } } errors { code field } } }"""
    base = {
        "title": "Call back the unhappy survey customers",
        "source": "SURVEY",
        "ownerId": servicer.gid,
        "dueAt": (clock.now() + timedelta(days=3)).isoformat(),
        "surveyId": survey["id"],
    }
    made = await gql.mutate("createActionItem", query, {"i": {**base, "customerId": asked}}, servicer.token)
    assert made["actionItem"]["survey"] == {"id": survey["id"], "title": survey["title"], "status": "OPEN"}
    before = await all_rows(services, TABLES)
    for extra, code in (
        ({"customerId": other}, "VALIDATION"),
        ({"surveyId": gid("Survey", raw_id(asked))}, "NOT_FOUND"),
    ):
        errors = await refused(gql, "createActionItem", query, {"i": {**base, **extra}}, servicer.token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["surveyId"])], errors
    assert await all_rows(services, TABLES) == before
    read = (await gql.ok(NODE, {"id": survey["id"]}, servicer.token))["node"]
    assert [i["title"] for i in read["actionItems"]] == ["Call back the unhappy survey customers"]


# DOMAIN.md part 2: service runs surveys, supervisors too (admins may do everything); marketing helps record
# the answers (recordFeedback: every person); everyone reads; API keys never write.
RUNNING = {"service staff", "supervisor", "admin"}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_permission_matrix(gql, services, users, clock, team, principal):
    token = await credential(services, users, principal)
    ids = await customers(services, "Pine Labs", "Quay Hotels")
    body = await gql(CREATE, {"i": survey_input(clock, ids)}, token)
    if principal in RUNNING:
        survey = body["data"]["createSurvey"]["survey"]
        assert body["data"]["createSurvey"]["errors"] == [] and survey["status"] == "DRAFT", body
    else:
        assert error_codes(body) == ["FORBIDDEN"] and body.get("data") is None, body
        survey = (await gql.mutate("createSurvey", CREATE, {"i": survey_input(clock, ids)}, team["servicer"].token))[
            "survey"
        ]
    opened = await gql(OPEN, {"i": step(survey)}, token)
    if principal in RUNNING:
        survey = opened["data"]["openSurvey"]["survey"]
        assert survey["status"] == "OPEN", opened
    else:
        assert error_codes(opened) == ["FORBIDDEN"] and opened.get("data") is None, opened
        survey = (await gql.mutate("openSurvey", OPEN, {"i": step(survey)}, team["servicer"].token))["survey"]
    answered = await gql(RECORD, answer(survey, ids[0], 5), token)
    if principal in PEOPLE:
        assert answered["data"]["recordFeedback"]["errors"] == [], answered
    else:
        assert error_codes(answered) == ["FORBIDDEN"] and answered.get("data") is None, answered
    closed = await gql(CLOSE, {"i": {"surveyId": survey["id"]}}, token)
    if principal in RUNNING:
        assert closed["data"]["closeSurvey"]["survey"]["status"] == "CLOSED", closed
    else:
        assert error_codes(closed) == ["FORBIDDEN"] and closed.get("data") is None, closed
    read = await gql.ok(LIST, {"s": None}, token)  # every caller reads surveys, API keys included
    assert read["surveys"]["totalCount"] == 1


async def test_two_answers_of_one_customer_at_once_one_is_refused(gql, services, clock, team):
    """Answers lock their survey: the second of two concurrent answers sees the first and is refused clearly
    (the unique index on feedback would otherwise be the one to refuse it)."""
    servicer, seller = team["servicer"], team["seller"]
    [customer] = await customers(services, "Race Foods")
    survey = await open_survey(gql, clock, servicer.token, [customer])
    bodies = await asyncio.gather(*(gql(RECORD, answer(survey, customer, s), seller.token) for s in (4, 5)))
    outcomes = sorted([e["code"] for e in b["data"]["recordFeedback"]["errors"]] for b in bodies if not b.get("errors"))
    assert outcomes == [[], ["DUPLICATE"]], bodies
    assert await scalar(services, "SELECT count(*) FROM feedback WHERE survey_id IS NOT NULL") == 1


async def test_the_survey_list_costs_the_same_statements_for_2_or_12_surveys(gql, services, clock, team):
    token = team["seller"].token
    engines = services.db.engine, services.db.reads_engine
    query = """{ surveys(first: 20) { edges { node { title targetCount responseRate averageScore scoreDistribution
      createdBy { name } actionItems { title } } } } }"""
    ids = await customers(services, "Count Labs", "Tally Hotels")

    async def cost(n: int) -> int:
        with statements(*engines) as seen:
            data = await gql.ok(query, None, token)
        assert len(data["surveys"]["edges"]) == n
        return len(seen)

    for i in range(2):
        await open_survey(gql, clock, team["servicer"].token, ids, title=f"Survey {i}")
    await gql.ok(query, None, token)  # warm up
    small = await cost(2)
    for i in range(2, 12):
        await open_survey(gql, clock, team["servicer"].token, ids, title=f"Survey {i}")
    assert await cost(12) == small
