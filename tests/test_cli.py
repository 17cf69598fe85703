"""The command line, run as operators run it: `python main.py <command>` in a subprocess."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import func, select

from db.models import ApiKey, Customer, User
from db.session import Database
from tests.support.server import run_command


def tandem(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TANDEM_PASSWORD")}
    full_env.update(env or {})
    return run_command(*args, env=full_env, timeout=timeout)


async def count(db_url: str, model) -> int:
    db = Database.connect(db_url, pool_size=1)
    try:
        async with db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)))
    finally:
        await db.dispose()


def test_schema_prints_sdl():
    result = tandem("schema")
    assert result.returncode == 0, result.stderr
    assert "type Query" in result.stdout and "type Mutation" in result.stdout
    assert "login(input: AuthInput!): AuthPayload!" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("create-user", "--email", "a@b.example", "--name", "A", "--department", "SALES", "--role", "STAFF"),
        ("create-api-key", "--name", "x", "--scope", "admin"),
        ("serve", "--port", "not-a-number"),
        ("no-such-command",),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_reason(args):
    result = tandem(*args)
    assert result.returncode != 0
    assert result.stderr.strip(), "a reason must be printed"
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path):
    result = tandem("migrate", env={"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("tandem:")]
    assert len(lines) == 1 and "cannot reach the database" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_bad_environment_is_one_line():
    result = tandem("schema", env={"TANDEM_ENV": "staging"})
    assert result.returncode == 1
    assert result.stderr.strip().startswith("tandem: TANDEM_ENV")


async def test_create_user_and_api_key(db_url):
    env = {"DATABASE_URL": db_url}
    result = tandem(
        "create-user",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        "--department",
        "management",
        "--role",
        "admin",
        env={**env, "TANDEM_PASSWORD": "long enough pw"},
    )
    assert result.returncode == 0, result.stderr
    assert "ops@example.com" in result.stdout
    assert await count(db_url, User) == 1

    duplicate = tandem(
        "create-user",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--department",
        "SERVICE",
        "--role",
        "STAFF",
        "--password",
        "long enough pw",
        env=env,
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert await count(db_url, User) == 1

    no_password = tandem(
        "create-user", "--email", "x@example.com", "--name", "X", "--department", "SERVICE", "--role", "STAFF", env=env
    )
    assert no_password.returncode == 1 and "no password" in no_password.stderr

    key = tandem("create-api-key", "--name", "Wall board", "--scope", "board", env=env)
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip().splitlines()[-1]
    assert secret.startswith("tdk_") and len(secret) > 30
    assert await count(db_url, ApiKey) == 1


async def test_seed_demo_if_empty(db_url):
    env = {"DATABASE_URL": db_url}
    first = tandem("seed-demo", "--customers", "5", "--if-empty", env=env)
    assert first.returncode == 0, first.stderr
    assert "admin@tandem.example" in first.stdout and "marketing@tandem.example" in first.stdout
    assert "service@tandem.example" in first.stdout and "supervisor@tandem.example" in first.stdout
    assert await count(db_url, Customer) == 5
    users_after_first = await count(db_url, User)
    second = tandem("seed-demo", "--customers", "5", "--if-empty", env=env)
    assert second.returncode == 0 and "already has users" in second.stdout
    assert await count(db_url, Customer) == 5
    assert await count(db_url, User) == users_after_first
