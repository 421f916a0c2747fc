"""Where benchmarks run: a fresh SQLite file and, when PostgreSQL is reachable, a fresh schema there, both
thrown away afterwards, so the same figures are printed side by side for both."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def pg_schema(base_url: str, prefix: str = "bench"):
    """A new schema in the PostgreSQL database at ``base_url``: (admin engine, schema name, URL using it)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:
        admin.dispose()
        raise
    return admin, schema, with_search_path(base_url, schema)


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its tables found in ``schema``: a search_path the URL already had (a test schema, say) is
    replaced, its other options kept."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    kept = [o for o in (options if isinstance(options, str) else " ".join(options)).split()
            if not o.startswith("-csearch_path")]
    return parsed.update_query_dict({"options": " ".join([*kept, f"-csearch_path={schema}"])}).render_as_string(
        hide_password=False)


def named(url: str, application_name: str) -> str:
    """``url`` whose connections show ``application_name`` in pg_stat_activity (see ``backends``)."""
    return make_url(url).update_query_dict({"application_name": application_name}).render_as_string(
        hide_password=False)


def backends(engine, application_name: str) -> list[int]:
    """The process ids of the PostgreSQL backends serving connections named ``application_name``: the CPU a
    benchmark's own connections cost the database, on a server other work shares."""
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                                 {"name": application_name}))


def drop_schema(admin, schema: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def bench_databases(database_url: str | None):
    """Yields (data_dir, [(label, url), ...]): SQLite always, PostgreSQL from ``database_url``,
    SAFE4C_TEST_DATABASE_URL or SAFE4C_DATABASE_URL when one is set and reachable."""
    data_dir = tempfile.mkdtemp(prefix="safe4c-bench-")
    targets = [("sqlite", f"sqlite:///{data_dir}/bench.db")]
    pg = database_url or os.environ.get("SAFE4C_TEST_DATABASE_URL") or os.environ.get("SAFE4C_DATABASE_URL")
    created = None
    if pg and pg.startswith("postgresql"):
        try:
            admin, schema, url = pg_schema(pg)
            targets.append(("postgresql", url))
            created = (admin, schema)
        except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
            print(f"PostgreSQL not reachable ({type(exc).__name__}); measuring SQLite only")
    try:
        yield data_dir, targets
    finally:
        if created:
            drop_schema(*created)
        shutil.rmtree(data_dir, ignore_errors=True)
