"""Settings declared as data: each has a default that runs on a laptop and a help line.

Every setting is read from the environment with the ``SAFE4C_`` prefix (``SAFE4C_DATABASE_URL``...).
``docs/settings.md`` lists them all; a test fails when one is undocumented.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFE4C_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for the embedded database and the generated secret key.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite (WAL) at DATA_DIR/safe4c.db.")
    secret_key: str = Field(
        "", description="Master secret for follow-up code hashes, encryption at rest and CSRF; empty means "
        "generate once and keep it in DATA_DIR/secret.key (set it explicitly in production)."
    )
    default_language: str = Field("id", description="Language of pages and errors when the user has not chosen one.")
    triage_deadline_minutes: dict[str, int] = Field(
        {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320},
        description="Time to first action per priority, in minutes (JSON object).",
    )
    public_rate_limit_per_minute: int = Field(
        30, description="Public reports accepted per client address per minute (0 turns the limit off)."
    )
    max_body_bytes: int = Field(65536, description="Largest request body accepted; larger bodies get 413.")
    session_hours: int = Field(8, description="How long a staff session lasts without activity.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (turn on behind HTTPS).")
    worker_in_process: bool = Field(True, description="`safe4c serve` also runs a background worker thread.")
    worker_poll_seconds: float = Field(0.5, description="How often an idle worker looks for new jobs.")
    job_max_attempts: int = Field(10, description="Attempts before a job is parked as failed.")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'safe4c.db').resolve()}"

    @cached_property
    def resolved_secret(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides) -> Settings:
    return Settings(**overrides)
