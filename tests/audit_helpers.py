"""What the audit tests share: appending, verifying, the real command, and the pre-0006 chain function."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timezone

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from safe4c.db.tables import AuditEntry
from safe4c.kernel import audit


def write(uow_factory, n, start=0):
    for i in range(start, start + n):
        with uow_factory() as uow:
            audit.record(uow, actor_id=None, action="report.view", subject_type="report", subject_id=f"R-{i}",
                         detail={"i": i})
            uow.commit()


def verify(uow_factory, kept=()):
    with uow_factory() as uow:
        return audit.verify(uow=uow, kept=kept)


def summary(verdict) -> tuple:
    return verdict.intact, verdict.checked, verdict.broken


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT id FROM audit_log ORDER BY id")))


def safe4c(engine, *args, secret: str | None, data_dir):
    """The real `safe4c` command on ``engine``'s database."""
    env = {k: v for k, v in os.environ.items() if k != "SAFE4C_SECRET_KEY"}
    env.update(SAFE4C_DATABASE_URL=engine.url.render_as_string(hide_password=False), SAFE4C_DATA_DIR=str(data_dir))
    if secret:
        env["SAFE4C_SECRET_KEY"] = secret
    return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def sha256_chain(prev, at, actor_id, action, subject_type, subject_id, detail) -> str:
    """The chain function before 0006, which anyone could read in the source and run."""
    body = json.dumps([prev, at.astimezone(timezone.utc).isoformat(), actor_id, action, subject_type, subject_id,
                       detail], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def rechain_with_sha256(conn, *, action_of=lambda entry: entry.action) -> str:
    """Compute the pre-0006 chain again over every entry (changing actions with ``action_of``), as someone
    without the key would after deleting or changing entries; returns the last hash."""
    prev = "0" * 64
    for e in list(Session(bind=conn).scalars(select(AuditEntry).order_by(AuditEntry.id))):
        action = action_of(e)
        digest = sha256_chain(prev, e.at, e.actor_id, action, e.subject_type, e.subject_id, e.detail)
        conn.execute(text("UPDATE audit_log SET action = :action, prev_hash = :prev, hash = :hash WHERE id = :id"),
                     {"action": action, "prev": prev, "hash": digest, "id": e.id})
        prev = digest
    return prev
