"""Runtime configuration, read once from the environment (see OPERATIONS.md)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    broadcast_url: str
    env: str
    data_dir: Path
    cors_origins: tuple[str, ...]
    secret_key: str | None = None
    token_ttl_seconds: int = 12 * 3600
    event_retention_days: int = 30
    subscriber_queue: int = 1000  # events buffered per subscriber before it is cut off as too slow
    sla_watch_interval: float = 15.0  # seconds between SLA scans (and leadership attempts)

    @property
    def is_development(self) -> bool:
        return self.env != "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        mode = env.get("TANDEM_ENV", "development").strip().lower()
        if mode not in ("development", "production"):
            raise ValueError(f"TANDEM_ENV must be 'development' or 'production', not {mode!r}")
        origins = tuple(o.strip() for o in env.get("TANDEM_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            broadcast_url=env.get("BROADCAST_URL") or "memory://",
            env=mode,
            data_dir=Path(env.get("TANDEM_DATA_DIR") or "./.data").resolve(),
            cors_origins=origins,
            secret_key=env.get("TANDEM_SECRET_KEY") or None,
            token_ttl_seconds=int(env.get("TANDEM_TOKEN_TTL_SECONDS", 12 * 3600)),
            event_retention_days=int(env.get("TANDEM_EVENT_RETENTION_DAYS", 30)),
            subscriber_queue=int(env.get("TANDEM_SUBSCRIBER_QUEUE", 1000)),
            sla_watch_interval=float(env.get("TANDEM_SLA_WATCH_INTERVAL", 15)),
        )

    def resolved_secret_key(self) -> str:
        """The token signing key: from the environment, else generated once and kept in the data folder.

        Keeping it on disk means tokens survive a restart of a development server.
        """
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
