"""Settings declared as data: each has a default that runs on a laptop and a help line.

Every setting is read from the environment with the ``SAFE4C_`` prefix (``SAFE4C_DATABASE_URL``...).
``docs/settings.md`` lists them all; a test fails when one is undocumented.
"""

from __future__ import annotations

import ipaddress
import json
import time
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from safe4c.kernel.priority import PRIORITIES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFE4C_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for the embedded database and the generated secret key "
                           "(kept 0700; the key and the database files 0600).")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite (WAL) at DATA_DIR/safe4c.db.")
    secret_key: str = Field(
        "", description="Master secret for follow-up code hashes, encryption at rest and CSRF; empty means "
        "DATA_DIR/secret.key, generated only for a database that holds nothing sealed (set it explicitly in "
        "production). The database records its fingerprint: another key is refused at start-up."
    )
    default_language: str = Field("id", description="Language of pages and errors when the user has not chosen one.")
    triage_deadline_minutes: dict[str, int] = Field(
        {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320},
        description="Time to first action per priority, in minutes (JSON object).",
    )
    public_rate_limit_per_minute: int = Field(
        30, ge=0, description="Public reports (form and API) accepted per client address per minute, counted in "
        "the database across every web process and replica (0 turns the limit off)."
    )
    status_rate_limit_per_minute: int = Field(
        30, ge=0, description="Follow-up status checks (form and API) that find no report, per client address per "
        "minute, counted like reports; further checks wait for the next minute (0 turns the limit off)."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        [], description="Addresses or networks (CIDR) of your reverse proxies, comma-separated: only a request "
        "that arrives from one of them has its X-Forwarded-For header read for the client address. Empty: the "
        "connecting address is the client."
    )
    login_free_failures: int = Field(
        5, ge=1, description="Failed staff sign-ins allowed per account, per client address and per device "
        "before each further try must wait (2 s, doubling)."
    )
    login_backoff_max_seconds: int = Field(
        900, ge=1, description="The longest wait between sign-in tries after repeated failures."
    )
    login_lock_failures: int = Field(
        20, ge=0, description="Failed sign-ins against one account from devices it never signed in on, after "
        "which it is locked for such devices until an administrator unlocks it (`safe4c user unlock NAME`); "
        "devices it signed in on before still can (0: never lock)."
    )
    login_failure_memory_hours: float = Field(
        24, gt=0, description="Failed sign-ins are forgotten this long after the last one (an account lock stays "
        "until it is lifted)."
    )
    max_body_bytes: int = Field(65536, description="Largest request body accepted; larger bodies get 413.")
    session_hours: int = Field(8, description="How long a staff session lasts without activity.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (turn on behind HTTPS).")
    web_threads: int = Field(
        8, description="Threads per web process for database work; a few per core avoid lock and GIL contention."
    )
    intake_connections: int = Field(
        16, ge=1, description="PostgreSQL only: the most connections each web process's pool for the intake hot "
        "paths holds (asynchronous, on the event loop: no threads). Intake requests beyond it wait in the process "
        "for a connection, which costs CPU of its own; the database's max_connections must allow this for every "
        "web process, beside SAFE4C_WEB_THREADS' pool."
    )
    worker_in_process: bool = Field(True, description="`safe4c serve` also runs a background worker thread.")
    worker_poll_seconds: float = Field(0.5, description="How often an idle worker looks for new jobs.")
    statistics_refresh_seconds: float = Field(
        60, gt=0, description="How often the worker brings the statistics rollups current (docs/statistics.md); "
        "dashboards and /statistik show figures at most this old."
    )
    statistics_prevalence: float = Field(
        0.02, gt=0, le=1, description="Share of internet-using children aged 12-17 subjected to clear online "
        "sexual exploitation in a year, for the iceberg estimate (default 2%: Disrupting Harm in Indonesia, "
        "ECPAT, INTERPOL and UNICEF, 2022)."
    )
    statistics_database_url: str = Field(
        "", description="SQLAlchemy URL of a PostgreSQL read replica the dashboards and /statistik read from; "
        "empty means the main database (docs/operations.md)."
    )
    job_max_attempts: int = Field(10, description="Attempts before a job is parked as failed.")
    job_retention_days: float = Field(
        7, gt=0, description="Jobs that finished are deleted this many days after they finished (the worker's "
        "housekeeping); failed jobs are kept for an operator to look at."
    )
    job_lease_seconds: float = Field(
        60, ge=5, description="How long a claimed job stays with its worker before another may take it (a worker "
        "that died leaves its jobs for this long); renewed as each job starts, so longer than the slowest job."
    )
    takedown_deadline_hours: dict[str, float] = Field(
        {"urgent": 4, "standard": 24},
        description="Hours a platform has to remove content after a takedown order: urgent (child sexual abuse "
        "material, terrorism) and standard orders (Permenkominfo 5/2020; JSON object).",
    )
    takedown_escalation_hours: list[float] = Field(
        [0, 24, 24],
        description="Escalation ladder (Kepmen 522/2024): hours from the missed deadline to warning 1, then from "
        "each warning to the next (warning 2: fine commitment; warning 3: access-blocking recommendation).",
    )
    takedown_preservation_days: int = Field(
        90, description="Days a platform must preserve the evidence of content it removes under an order."
    )
    case_referral_respond_hours: float = Field(
        72, gt=0, description="Hours a provider has to accept or decline a referral of a case (docs/cases.md); "
        "the worker marks it overdue after that."
    )
    case_referral_reminder_hours: float = Field(
        24, ge=0, description="How long before a referral's respond-by deadline the receiving agency is reminded "
        "(0: no reminder before the deadline)."
    )
    webhook_timeout_seconds: float = Field(10.0, description="How long safe4c waits for a platform's webhook to answer.")
    webhook_retry_seconds: list[int] = Field(
        [10, 30, 60, 120, 300, 600, 900, 1800, 3600],
        description="Waits between webhook delivery attempts, in seconds; the last one repeats (JSON list).",
    )
    webhook_allow_private: bool = Field(
        False, description="Development only: accept http:// webhook URLs and hosts on loopback, private or "
        "other internal addresses. Off, such URLs are refused when a platform is registered and when delivering."
    )
    webhook_give_up_hours: float = Field(
        72, description="Stop retrying a webhook delivery this long after it was first attempted (the order "
        "stays available by pull)."
    )

    match_pdq_max_distance: int = Field(
        31, ge=0, le=31, description="Largest Hamming distance (of 256 bits) at which two PDQ hashes match; the "
        "index is exact up to 31."
    )
    match_pdq_min_quality: int = Field(
        50, ge=0, le=100, description="PDQ hashes with a lower quality score are not matched (too little detail)."
    )
    match_batch_limit: int = Field(500, ge=1, description="Most items in one POST /api/v1/match request.")
    signals_page_size: int = Field(1000, ge=1, description="Most changes in one page of GET /api/v1/signals.")
    matcher_poll_seconds: float = Field(
        0.2, gt=0, description="How often each serving process reads new hash-list changes (a confirmed hash "
        "matches everywhere within about this time)."
    )
    hashlist_snapshot_path: Path | None = Field(
        None, description="The hash list's snapshot file, memory-mapped by every serving process on the machine "
        "(one copy in memory however many processes serve) and kept current by the worker; empty means "
        "DATA_DIR/hashlist.snap. Put it on local disk, one per machine."
    )
    hashlist_snapshot_seconds: float = Field(
        30.0, gt=0, description="How often the worker rewrites the hash list's snapshot when the list has changed "
        "(serving processes apply the changes made since from the change log meanwhile)."
    )
    match_at_intake: bool = Field(
        True, description="Match the hashes and links a report carries against the hash list when it arrives "
        "(a background job)."
    )
    match_takedown_at_intake: bool = Field(
        True, description="When a report matches a confirmed bank, issue an urgent takedown order to the platform "
        "that hosts the content (if it is registered)."
    )

    link_confirmed_bank: str = Field(
        "safe4c-confirmed", description="Name of the confirmed hash bank that an analyst's \"confirm material as "
        "illegal\" decision adds hashes to (created on first use)."
    )
    link_common_reports: int = Field(
        25, ge=2, description="An identifier held by at least this many reports is shown as very common on the "
        "network page, where an administrator can mark it as not linking."
    )

    # case management (docs/cases.md), the case core
    case_first_contact_hours: dict[str, float] = Field(
        {"P1": 24, "P2": 48, "P3": 72, "P4": 120},
        description="Hours from opening a case to the first contact with the child, per priority (JSON object; a "
        "case without a priority gets P1's). P1: 24 h, as police temporary protection under UU TPKS Art. 42 is "
        "due within 1 x 24 hours.",
    )
    case_step_days: dict[str, float] = Field(
        {"assessment": 3, "case_plan": 7, "follow_up": 30, "closure": 5},
        description="Days a case's step has from when it opens to when it is due: assessment, case_plan, "
        "follow_up, closure (a supervisor's review of a closure request); JSON object.",
    )
    case_guardian_consent_below_age: int = Field(
        18, ge=0, le=18, description="Below this age a parent's or guardian's consent is needed besides the "
        "child's own assent, unless a legal basis is recorded instead (UU 35/2014: a child is under 18)."
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'safe4c.db').resolve()}"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value):
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.replace(",", " ").split()
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("triage_deadline_minutes")
    @classmethod
    def _every_priority_has_a_deadline(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != set(PRIORITIES) or any(minutes <= 0 for minutes in value.values()):
            raise ValueError(f"give a positive number of minutes for exactly {', '.join(PRIORITIES)}")
        return value

    @field_validator("case_first_contact_hours")
    @classmethod
    def _every_priority_has_a_first_contact(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(PRIORITIES) or any(hours <= 0 for hours in value.values()):
            raise ValueError(f"give a positive number of hours for exactly {', '.join(PRIORITIES)}")
        return value

    @property
    def resolved_hashlist_snapshot_path(self) -> Path:
        return self.hashlist_snapshot_path or self.data_dir / "hashlist.snap"

    @property
    def secret_path(self) -> Path:
        return self.data_dir / "secret.key"

    @cached_property
    def resolved_secret(self) -> bytes:
        """The master key as configured: SAFE4C_SECRET_KEY, else DATA_DIR/secret.key. Never made here: only
        ``safe4c.kernel.keys`` makes a key, after checking that the database holds nothing sealed with another."""
        if self.secret_key:
            return self.secret_key.encode()
        if not self.secret_path.exists():
            raise KeyProblem("key_missing", f"{self.secret_path} does not exist and SAFE4C_SECRET_KEY is not set")
        return read_secret_file(self.secret_path)


class KeyProblem(RuntimeError):
    """The master key cannot be used: missing, empty or not the key that sealed the database's data.

    ``code`` is stable (``/healthz`` shows it); the message is for the operator and never contains the key."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def read_secret_file(path: Path) -> bytes:
    # A key file from an older version may have been created empty and filled afterwards: wait briefly.
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key.encode()
        time.sleep(0.02)
    raise KeyProblem("key_empty", f"{path} is empty: restore the key file from your backup, or set "
                                  "SAFE4C_SECRET_KEY")
