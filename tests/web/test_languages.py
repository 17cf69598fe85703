"""User-facing text by Accept-Language over HTTP (OPERATIONS.md "Language"): the same refusal answers in
English, Simplified and Traditional Chinese, with the same codes and fields; KPI labels, analysis
labels and CSV headers follow; TANDEM_DEFAULT_LANGUAGE changes the fallback."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from settings import Settings
from tests.support.accounts import TEST_SECRET
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.orders import CANCEL, HAND_OFF, gid
from web.app import create_app

HANS = {"Accept-Language": "zh-CN"}
HANT = {"Accept-Language": "zh-TW"}
EN = {"Accept-Language": "en"}
LANGUAGES = {"en": EN, "zh-Hans": HANS, "zh-Hant": HANT}

CREATE_CUSTOMER = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) {
  customer { id } errors { code field message } } }"""
KPIS = """query($p: PeriodInput!, $d: Department!) { kpis(period: $p, department: $d) { kpis { key label } } }"""
MARCH = {"from": "2026-03-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}


async def _by_language(gql, query, variables, token, name=None) -> dict[str, dict]:
    """The answer to the same request in each language: the mutation payload `name`, or the whole body."""
    out = {}
    for language, headers in LANGUAGES.items():
        response = await gql.raw(query, variables, token, headers)
        assert response.status_code == 200, response.text
        body = response.json()
        out[language] = body["data"][name] if name else body
    return out


def _same_codes_and_fields(errors_by_language: dict[str, list[dict]]) -> None:
    shapes = {lang: [(e["code"], e["field"]) for e in errors] for lang, errors in errors_by_language.items()}
    assert shapes["en"] == shapes["zh-Hans"] == shapes["zh-Hant"], shapes
    messages = [tuple(e["message"] for e in errors) for errors in errors_by_language.values()]
    assert len(set(messages)) == 3, messages


async def test_a_forbidden_handoff_answers_in_each_language_with_the_same_code(gql, people, customer, flow):
    order = await flow.order(customer.id)
    variables = {"i": {"orderId": gid("Order", order.id)}}
    bodies = await _by_language(gql, HAND_OFF, variables, people["servicer"].token)
    assert {lang: error_codes(body) for lang, body in bodies.items()} == {lang: ["FORBIDDEN"] for lang in LANGUAGES}
    assert {lang: body["errors"][0]["path"] for lang, body in bodies.items()} == {
        lang: ["handOffOrder"] for lang in LANGUAGES
    }
    messages = {lang: body["errors"][0]["message"] for lang, body in bodies.items()}
    assert messages == {
        "en": "forbidden: your account may not work on opportunities or hand off orders",
        "zh-Hans": "禁止访问：你的账号不能处理商机或交接订单",
        "zh-Hant": "禁止存取：你的帳號不能處理商機或交接訂單",
    }


async def test_validation_errors_answer_in_each_language(gql, people):
    variables = {"i": {"name": "  ", "lifecycleStage": "LEAD"}}
    payloads = await _by_language(gql, CREATE_CUSTOMER, variables, people["seller"].token, "createCustomer")
    assert all(p["customer"] is None for p in payloads.values())
    errors = {lang: p["errors"] for lang, p in payloads.items()}
    _same_codes_and_fields(errors)
    assert [e["message"] for e in errors["en"]] == ["name is required"]
    assert [e["message"] for e in errors["zh-Hans"]] == ["名称为必填项"]
    assert [e["message"] for e in errors["zh-Hant"]] == ["名稱為必填項目"]


async def test_not_found_and_a_refused_step_answer_in_each_language(gql, people, customer, flow):
    token = people["seller"].token
    missing = {"i": {"orderId": gid("Order", uuid.uuid4())}}
    errors = {
        lang: p["errors"] for lang, p in (await _by_language(gql, HAND_OFF, missing, token, "handOffOrder")).items()
    }
    _same_codes_and_fields(errors)
    assert [(e["code"], e["message"]) for e in errors["zh-Hant"]] == [("NOT_FOUND", "找不到訂單")]
    assert errors["en"][0]["message"] == "order not found"

    cancelled = await flow.order(customer.id, status="CANCELLED")
    variables = {"i": {"orderId": gid("Order", cancelled.id)}}
    errors = {
        lang: p["errors"] for lang, p in (await _by_language(gql, HAND_OFF, variables, token, "handOffOrder")).items()
    }
    _same_codes_and_fields(errors)
    assert errors["en"][0]["message"] == "cannot hand off an order that is CANCELLED"
    assert errors["zh-Hans"][0]["message"] == "不能对状态为 CANCELLED 的订单执行“交接”"
    assert errors["zh-Hant"][0]["message"] == "不能對狀態為 CANCELLED 的訂單執行「交接」"
    assert errors["en"][0]["code"] == "INVALID_TRANSITION"


async def test_a_malformed_id_is_refused_in_the_callers_language(gql, people):
    body = (await gql.raw(CANCEL, {"i": {"orderId": "nonsense"}}, people["seller"].token, HANT)).json()
    (error,) = body["data"]["cancelOrder"]["errors"]
    assert (error["code"], error["field"], error["message"]) == ("VALIDATION", ["orderId"], "orderId 不是 Order 的 ID")


async def test_q_values_choose_the_language(gql, people, customer, flow):
    order = await flow.order(customer.id)
    variables = {"i": {"orderId": gid("Order", order.id)}}
    token = people["servicer"].token
    for header, expected in [
        ("en;q=0.5, zh-TW;q=0.9", "帳號"),
        ("zh-TW;q=0.3, zh-CN;q=0.8", "账号"),
        ("fr-FR, en;q=0.9, zh-HK;q=0.5", "your account"),
    ]:
        body = (await gql.raw(HAND_OFF, variables, token, {"Accept-Language": header})).json()
        assert expected in body["errors"][0]["message"], (header, body)


async def test_errors_before_execution_and_without_a_login_are_translated(gql, services, people):
    body = (await gql.raw("query { me { id } }", None, None, HANS)).json()
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"].startswith("需要登录认证")
    body = (await gql.raw("query { me { id } }", None, "not-a-token", HANT)).json()
    assert body["errors"][0]["message"] == "憑證無效、已過期或已被撤銷"
    # A limit, refused while validating (before anything runs): the words change, the code does not.
    settings = services.settings
    aliases = "query {" + " ".join(f"a{i}: me {{ id }}" for i in range(settings.max_aliases + 1)) + " }"
    en, hant = [(await gql.raw(aliases, None, people["seller"].token, h)).json() for h in (EN, HANT)]
    assert error_codes(en) == error_codes(hant) == ["QUERY_TOO_COMPLEX"]
    assert en["errors"][0]["message"] == f"{settings.max_aliases + 1} aliases found. Allowed: {settings.max_aliases}"
    assert hant["errors"][0]["message"] == f"發現 {settings.max_aliases + 1} 個別名。上限：{settings.max_aliases}"


async def test_kpi_and_analysis_labels_follow_the_language(gql, users):
    key = await users.api_key("reporting")
    labels = {}
    for language, headers in LANGUAGES.items():
        body = (await gql.raw(KPIS, {"p": MARCH, "d": "SERVICE"}, key, headers)).json()
        labels[language] = {k["key"]: k["label"] for k in body["data"]["kpis"]["kpis"]}
    assert labels["en"]["complaint_resolution_rate"] == "Complaint resolution rate"
    assert labels["zh-Hans"]["complaint_resolution_rate"] == "投诉解决率"
    assert labels["zh-Hant"]["complaint_resolution_rate"] == "投訴解決率"
    assert labels["en"].keys() == labels["zh-Hans"].keys() == labels["zh-Hant"].keys()


async def test_a_csv_export_has_traditional_headers_for_zh_tw(http, users):
    key = await users.api_key("reporting")
    rows = {}
    for language, headers in LANGUAGES.items():
        response = await http.get(
            "/export/kpis.csv",
            params={"department": "SERVICE", **MARCH},
            headers={"Authorization": f"Bearer {key}", **headers},
        )
        assert response.status_code == 200, response.text
        rows[language] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows["en"][0] == ["Period", "Department", "User id", "KPI", "Label", "Value", "Numerator", "Denominator"]
    assert rows["zh-Hant"][0] == ["期間", "部門", "使用者 ID", "KPI", "名稱", "數值", "分子", "分母"]
    assert rows["zh-Hans"][0] == ["期间", "部门", "用户 ID", "KPI", "名称", "数值", "分子", "分母"]
    label = {r[3]: r[4] for r in rows["zh-Hant"][1:]}
    assert label["response_timeliness"] == "回應及時率"
    # The figures themselves are the same whatever the language.
    assert [r[5:] for r in rows["en"][1:]] == [r[5:] for r in rows["zh-Hant"][1:]]
    refused = await http.get("/export/kpis.csv", params={"department": "SERVICE"}, headers=HANT)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "請傳送 Authorization: Bearer <登入權杖或 API 金鑰>"


@pytest.fixture
async def traditional_by_default(services, db_url):
    settings = Settings.from_env(
        {"DATABASE_URL": db_url, "TANDEM_SECRET_KEY": TEST_SECRET, "TANDEM_DEFAULT_LANGUAGE": "zh-Hant"}
    )
    assert settings.default_language == "zh-Hant"
    services.settings = settings
    app = create_app(settings, services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as client:
        yield GraphQLClient(client)


async def test_the_default_language_is_configurable(traditional_by_default, people):
    gql = traditional_by_default
    variables = {"i": {"name": "", "lifecycleStage": "LEAD"}}
    body = (await gql.raw(CREATE_CUSTOMER, variables, people["seller"].token)).json()
    assert body["data"]["createCustomer"]["errors"][0]["message"] == "名稱為必填項目"
    # A language the caller asks for still wins; one we do not have falls back to the default.
    for header, expected in [("en", "name is required"), ("fr", "名稱為必填項目"), ("zh-CN", "名称为必填项")]:
        body = (await gql.raw(CREATE_CUSTOMER, variables, people["seller"].token, {"Accept-Language": header})).json()
        assert body["data"]["createCustomer"]["errors"][0]["message"] == expected, header


def test_an_unknown_default_language_is_refused_at_start_up():
    with pytest.raises(ValueError, match="TANDEM_DEFAULT_LANGUAGE"):
        Settings.from_env({"TANDEM_DEFAULT_LANGUAGE": "tlh"})
