"""Many rows fast, for bulk work such as the networks' rebuild (``networks/rebuild.py``) and its benchmark:
``COPY`` on PostgreSQL, ``executemany`` on SQLite, large SELECTs streamed, ids allocated in a block."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import bindparam, func, select

IN_CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit


def chunks(seq, size: int) -> Iterator:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def batches(conn, stmt, batch_size: int) -> Iterator[list]:
    """A large SELECT's rows, a list of up to ``batch_size`` at a time (a server-side cursor on PostgreSQL)."""
    # per statement: Connection.execution_options() would change the connection itself
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": batch_size})
    yield from result.partitions(batch_size)


def raw_batches(conn, stmt, batch_size: int) -> Iterator[list[tuple]]:
    """Like ``batches``, as the driver's own tuples, for millions of rows of plain columns (integers and text:
    no type of SQLAlchemy's converts them): a named, server-side cursor on PostgreSQL. Skipping SQLAlchemy's
    rows halves the time a million of them take."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw = conn.connection.dbapi_connection
    cur = raw.cursor(name="safe4c_raw_batches") if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cur.execute(sql)
        while part := cur.fetchmany(batch_size):
            yield part
    finally:
        cur.close()


def stream(conn, stmt, batch_size: int) -> Iterator[tuple]:
    """Rows of a large SELECT, read in batches."""
    for part in batches(conn, stmt, batch_size):
        yield from part


def b(name: str):
    """A named bind parameter, for an executemany UPDATE."""
    return bindparam(name)


def allocate_ids(session, table, count: int) -> int:
    """The first of ``count`` consecutive new ids of ``table``. The caller holds a lock that stops anyone else
    creating rows of the table meanwhile (for clusters and link_identifiers: the linking lock)."""
    top = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    if session.bind.dialect.name != "postgresql":
        return top + 1
    seq = session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    start = max(top + 1, session.scalar(select(func.nextval(seq))))
    session.execute(select(func.setval(seq, start + count - 1)))
    return start


def db_value(conn, column, value):
    """A value as the driver receives it (SQLite stores datetimes as text in SQLAlchemy's format)."""
    processor = column.type._cached_bind_processor(conn.dialect)
    return processor(value) if processor else value


def bulk_insert(conn, table, columns: list[str], rows: Iterable[tuple], *, batch_size: int = 50_000) -> int:
    """Many rows fast: ``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite. The values must be
    as the driver takes them (see ``db_value`` for datetimes on SQLite). Returns the number of rows."""
    raw = conn.connection.dbapi_connection
    count = 0
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cur = raw.cursor()
    try:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    finally:
        cur.close()
    return count
