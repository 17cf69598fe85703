"""GraphQL over HTTP conformance: graphql-http's 61 server audits against a real server, and the
media-type negotiation behind them (application/graphql-response+json vs application/json).

The audit runs graphql-http (npm, pinned in tests/http_audit/package-lock.json) with Node; its
node_modules are installed from the lock file on first use. Without `node`/`npm` that one test is
skipped; the in-process tests below check the same rules without Node.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess

import pytest

from tests.support.realtime import Server
from tests.support.server import ROOT
from web.graphql_view import TandemGraphQL

AUDIT_DIR = ROOT / "tests" / "http_audit"
EXPECTED_AUDITS = 61  # graphql-http 1.23.1: 13 MUST, 23 SHOULD, 25 MAY
RESPONSE_JSON = "application/graphql-response+json"
_RESULT = re.compile(r"^(ok|notice|warn|error) (\S+) (.+)$")


def _installed_matches_lock() -> bool:
    lock = json.loads((AUDIT_DIR / "package-lock.json").read_text())
    for name, entry in lock["packages"].items():
        if not name.startswith("node_modules/"):
            continue
        manifest = AUDIT_DIR / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != entry["version"]:
            return False
    return True


def _ensure_node_modules() -> None:
    if _installed_matches_lock():
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"npm ci in {AUDIT_DIR} failed:\n{result.stdout}\n{result.stderr}"
    assert _installed_matches_lock(), "npm ci did not install what package-lock.json pins"


@pytest.mark.timeout(400)
async def test_graphql_http_server_audits_all_pass(db_url):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run graphql-http's audits (tests/http_audit); not found on PATH")
    await asyncio.to_thread(_ensure_node_modules)
    server = await Server(db_url).start()
    try:
        run = await asyncio.to_thread(
            subprocess.run,
            ["node", "audit.mjs", f"{server.http}/graphql"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        server.stop()
    assert run.returncode in (0, 1), f"audit script failed:\n{run.stdout}\n{run.stderr}"
    lines = run.stdout.splitlines()
    results = [m.groups() for line in lines if (m := _RESULT.match(line))]
    failures = []
    for index, line in enumerate(lines):
        if (m := _RESULT.match(line)) and m.group(1) != "ok":
            reason = lines[index + 1].strip() if index + 1 < len(lines) and lines[index + 1].startswith(" ") else ""
            failures.append(f"{line}\n    {reason}")
    passed = sum(1 for status, _, _ in results if status == "ok")
    assert len(results) == EXPECTED_AUDITS, run.stdout
    assert failures == [], f"{passed}/{len(results)} audits pass; failing:\n" + "\n".join(failures)
    assert run.returncode == 0, run.stdout


# ------------------------------------------------------------------ media-type negotiation (no Node needed)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("application/json", "application/json"),
        (RESPONSE_JSON, RESPONSE_JSON),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("*", "application/json"),
        # graphql-http's client and the spec's recommendation
        (f"{RESPONSE_JSON}, application/json", RESPONSE_JSON),
        (f"{RESPONSE_JSON}, application/json;q=0.9", RESPONSE_JSON),
        (f"application/json, {RESPONSE_JSON}", "application/json"),
        # q-values decide before the order
        (f"{RESPONSE_JSON};q=0.5, application/json", "application/json"),
        (f"application/json;q=0.1, {RESPONSE_JSON}", RESPONSE_JSON),
        (f"application/json; q=0.1 , {RESPONSE_JSON} ; charset=utf-8", RESPONSE_JSON),
        (f"{RESPONSE_JSON};q=0.8, */*;q=0.9", "application/json"),
        # a more specific range overrides a wildcard: */* does not bring back an excluded type
        (f"{RESPONSE_JSON};q=0, */*", "application/json"),
        ("application/json;q=0, */*", RESPONSE_JSON),
        ("application/json;q=0, application/*;q=0.5", RESPONSE_JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", RESPONSE_JSON),
        # browsers' default: only the wildcard matches, and it picks the legacy type
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        # nothing acceptable (or nonsense): the legacy type rather than a 406
        ("text/html", "application/json"),
        ("application/json;q=0", "application/json"),
        ("application/json;q=abc", "application/json"),
        (f"{RESPONSE_JSON};q=2", "application/json"),
        (",,;", "application/json"),
    ],
)
def test_media_type_negotiation(accept, expected):
    assert TandemGraphQL.negotiate_media_type(accept) == expected


async def _post(http, body: dict, accept: str | None):
    headers = {"accept": accept} if accept is not None else {}
    return await http.post("/graphql", json=body, headers=headers)


PRE_EXECUTION_FAILURES = {
    "parse error": {"query": "{"},
    "validation error": {"query": "{ noSuchField }"},
    "unused variable": {"query": "query Q($id: ID!) { __typename }", "variables": {"id": None}},
    "variable coercion error": {
        "query": "query Q($name: String!) { __type(name: $name) { name } }",
        "variables": {"name": None},
    },
    "variable of the wrong type": {
        "query": "query Q($d: Boolean) { __schema { queryType { fields(includeDeprecated: $d) { name } } } }",
        "variables": {"d": "yes"},
    },
    "unknown operation name": {"query": "query A { __typename }", "operationName": "B"},
    "no operation in the document": {"query": "fragment F on Query { __typename }"},
}


@pytest.mark.parametrize("body", PRE_EXECUTION_FAILURES.values(), ids=PRE_EXECUTION_FAILURES.keys())
async def test_failure_before_execution_is_400_without_data_for_graphql_response_json(http, body):
    r = await _post(http, body, RESPONSE_JSON)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == RESPONSE_JSON
    assert "accept" in r.headers["vary"].lower()
    payload = r.json()
    assert "data" not in payload, payload
    assert payload["errors"] and all(e["message"] for e in payload["errors"])


@pytest.mark.parametrize(
    "body",
    [v for k, v in PRE_EXECUTION_FAILURES.items() if "operation" not in k],
    ids=[k for k in PRE_EXECUTION_FAILURES if "operation" not in k],
)
@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_failure_before_execution_keeps_200_with_null_data_for_application_json(http, body, accept):
    r = await _post(http, body, accept)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    payload = r.json()
    assert payload["data"] is None and payload["errors"]


async def test_operation_selection_failure_stays_plain_400_for_application_json(http):
    r = await _post(http, PRE_EXECUTION_FAILURES["unknown operation name"], "application/json")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")


async def test_success_with_graphql_response_json(http):
    r = await _post(http, {"query": "{ __typename }"}, f"{RESPONSE_JSON}, application/json;q=0.9")
    assert r.status_code == 200
    assert r.headers["content-type"] == RESPONSE_JSON
    assert r.json() == {"data": {"__typename": "Query"}}


async def test_get_query_negotiates_too(http):
    r = await http.get("/graphql", params={"query": "{ __typename }"}, headers={"accept": RESPONSE_JSON})
    assert r.status_code == 200 and r.headers["content-type"] == RESPONSE_JSON
    r = await http.get("/graphql", params={"query": "{"}, headers={"accept": RESPONSE_JSON})
    assert r.status_code == 400 and "data" not in r.json()


async def test_mutation_over_get_is_refused_as_a_graphql_response(http):
    r = await http.get("/graphql", params={"query": "mutation { __typename }"}, headers={"accept": RESPONSE_JSON})
    assert r.status_code == 400
    assert r.headers["content-type"] == RESPONSE_JSON
    assert "data" not in r.json() and r.json()["errors"]


async def test_error_during_execution_keeps_200_and_the_data_entry(http):
    # `me` is non-null and refused to an anonymous caller: data is null, but execution happened.
    r = await _post(http, {"query": "{ me { name } }"}, RESPONSE_JSON)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == RESPONSE_JSON
    payload = r.json()
    assert "data" in payload and payload["data"] is None
    assert payload["errors"][0]["path"] == ["me"]
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_malformed_http_request_is_still_400(http):
    r = await http.post(
        "/graphql", content=b'{ "not a JSON', headers={"content-type": "application/json", "accept": RESPONSE_JSON}
    )
    assert r.status_code == 400
