"""Static checks of the deployment files: docker-compose.yml, Dockerfile and the lock files.

Docker does not run in CI, so these tests read the files and check the wiring that
`docker compose up` depends on, and that the lock files cover pyproject.toml (a
forgotten `make lock` fails here instead of at install time).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"


# --- helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), "no services in docker-compose.yml"
    return data


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    """A service's environment as a dict, whether written as a mapping or a KEY=VALUE list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {k: (v[0] if v else "") for k, *v in pairs}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: no conditions at all
        return {name: {} for name in deps}
    return {name: (spec or {}) for name, spec in deps.items()}


def command_argv(service: dict) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        return []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        logical.append(buf + stripped)
        buf = ""
    if buf:
        logical.append(buf)
    out = []
    for entry in logical:
        keyword, _, args = entry.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


# --- docker-compose.yml ------------------------------------------------------------


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_backing_services_have_healthchecks(services: dict, name: str) -> None:
    assert name in services, f"service {name!r} missing"
    check = services[name].get("healthcheck") or {}
    assert not check.get("disable"), f"{name}: healthcheck disabled"
    test = check.get("test")
    assert test and test != ["NONE"], f"{name}: no healthcheck test"


def test_postgres_healthcheck_uses_pg_isready(services: dict) -> None:
    test = services["postgres"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test if isinstance(test, list) else [test])


def test_redis_healthcheck_pings(services: dict) -> None:
    test = services["redis"]["healthcheck"]["test"]
    joined = " ".join(test if isinstance(test, list) else [test])
    assert "redis-cli" in joined and "ping" in joined


def test_tandem_waits_for_healthy_backends_and_finished_migrations(services: dict) -> None:
    deps = depends_on(services["tandem"])
    assert deps.get("postgres", {}).get("condition") == "service_healthy", deps
    assert deps.get("redis", {}).get("condition") == "service_healthy", deps
    assert deps.get("migrate", {}).get("condition") == "service_completed_successfully", deps


def test_migrate_runs_migrations_after_postgres_is_healthy(services: dict) -> None:
    migrate = services["migrate"]
    argv = command_argv(migrate)
    assert argv and argv[-1] == "migrate", argv
    assert depends_on(migrate).get("postgres", {}).get("condition") == "service_healthy"
    assert environment(migrate).get("DATABASE_URL") == environment(services["tandem"]).get("DATABASE_URL"), (
        "migrate must migrate the database that tandem uses"
    )


def test_database_url_is_asyncpg_on_postgres_service(services: dict) -> None:
    url = environment(services["tandem"]).get("DATABASE_URL", "")
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+asyncpg", url
    assert parts.hostname == "postgres" and "postgres" in services, url
    pg_env = environment(services["postgres"])
    assert parts.username == pg_env.get("POSTGRES_USER"), url
    assert parts.password == pg_env.get("POSTGRES_PASSWORD"), url
    assert parts.path.lstrip("/") == pg_env.get("POSTGRES_DB"), url


def test_broadcast_url_points_at_redis_service(services: dict) -> None:
    url = environment(services["tandem"]).get("BROADCAST_URL", "")
    parts = urlsplit(url)
    assert parts.scheme in ("redis", "rediss"), url
    assert parts.hostname == "redis" and "redis" in services, url


def test_tandem_runs_in_production_with_required_secret(services: dict) -> None:
    env = environment(services["tandem"])
    assert env.get("TANDEM_ENV") == "production"
    # Compose must refuse to start without a secret rather than fall back to a baked-in one.
    assert re.fullmatch(r"\$\{TANDEM_SECRET_KEY:\?[^}]*\}", env.get("TANDEM_SECRET_KEY", "")), env.get(
        "TANDEM_SECRET_KEY"
    )


def test_tandem_publishes_port_and_checks_healthz(services: dict) -> None:
    tandem = services["tandem"]
    assert any(str(p).endswith("8000:8000") or str(p) == "8000" for p in tandem.get("ports", [])), tandem.get("ports")
    test = (tandem.get("healthcheck") or {}).get("test")
    assert test and "/healthz" in " ".join(test if isinstance(test, list) else [test])


def test_every_build_context_is_the_repo_root(services: dict) -> None:
    built = {name: svc["build"] for name, svc in services.items() if "build" in svc}
    assert {"migrate", "tandem"} <= built.keys(), f"migrate and tandem must build the image: {sorted(built)}"
    for name, build in built.items():
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        else:
            context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
        assert (COMPOSE_FILE.parent / context).resolve() == ROOT, f"{name}: build context {context!r}"
        assert (ROOT / dockerfile).resolve() == DOCKERFILE, f"{name}: dockerfile {dockerfile!r}"
        assert DOCKERFILE.is_file()


# --- Dockerfile ----------------------------------------------------------------------


def test_dockerfile_installs_the_lock_with_hashes_then_the_project_without_deps() -> None:
    runs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    lock_installs = [r for r in runs if "pip install" in r and "requirements.lock" in r]
    assert lock_installs, "no RUN pip install ... requirements.lock"
    assert all("--require-hashes" in r for r in lock_installs), lock_installs
    project_installs = [r for r in runs if re.search(r"pip install\b.*\s\.(\s|$|&)", r)]
    assert project_installs and all("--no-deps" in r for r in project_installs), runs


def test_dockerfile_runs_as_non_root_user() -> None:
    instructions = dockerfile_instructions()
    users = [(i, args) for i, (keyword, args) in enumerate(instructions) if keyword == "USER"]
    assert users, "Dockerfile has no USER instruction"
    last_index, last_user = users[-1]
    user = last_user.split(":")[0]
    assert user not in ("root", "0"), last_user
    cmd_index = max(i for i, (keyword, _) in enumerate(instructions) if keyword in ("CMD", "ENTRYPOINT"))
    assert last_index < cmd_index, "USER must come before CMD"


def test_dockerfile_exposes_port_and_has_healthcheck() -> None:
    instructions = dict(dockerfile_instructions())
    assert instructions.get("FROM", "").startswith("python:3.11-slim")
    assert "8000" in instructions.get("EXPOSE", "").split()
    assert "/healthz" in instructions.get("HEALTHCHECK", "")


# --- lock files -------------------------------------------------------------------------

_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pyproject_requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project.get("dependencies", [])]
    for extra in extras:
        reqs += [Requirement(r) for r in project.get("optional-dependencies", {}).get(extra, [])]
    return reqs


def locked_versions(lock: Path) -> dict[str, str]:
    assert lock.is_file(), f"{lock.name} missing: run `make lock`"
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _LOCK_LINE.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"), [(RUNTIME_LOCK, ()), (DEV_LOCK, ("dev",))], ids=["requirements.lock", "requirements-dev.lock"]
)
def test_lock_covers_pyproject(lock: Path, extras: tuple[str, ...]) -> None:
    pins = locked_versions(lock)
    missing, outdated = [], []
    for req in pyproject_requirements(*extras):
        name = canonicalize_name(req.name)
        if name not in pins:
            missing.append(str(req))
        elif not req.specifier.contains(pins[name], prereleases=True):
            outdated.append(f"{req} (locked {pins[name]})")
    assert not missing and not outdated, (
        f"{lock.name} is out of date with pyproject.toml, run `make lock`: missing {missing}, not matching {outdated}"
    )


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_lock_pins_every_package_with_hashes(lock: Path) -> None:
    text = lock.read_text(encoding="utf-8")
    # One entry per requirement: "name==version [; marker] \" followed by --hash lines.
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        assert _LOCK_LINE.match(entry), f"{lock.name}: not an exact pin: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"{lock.name}: no hash for {entry.splitlines()[0]}"


def test_dev_lock_agrees_with_runtime_lock() -> None:
    runtime, dev = locked_versions(RUNTIME_LOCK), locked_versions(DEV_LOCK)
    differing = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differing, f"requirements-dev.lock pins differ from requirements.lock: {differing} (run `make lock`)"
