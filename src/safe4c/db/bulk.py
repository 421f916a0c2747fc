"""Many rows fast, for bulk work such as the networks' rebuild (``networks/rebuild.py``) and its benchmark:
``COPY`` on PostgreSQL, ``executemany`` on SQLite, large SELECTs streamed, ids allocated in a block."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice

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


# COPY's text format: fields separated by tabs, rows by newlines, NULL as \N; a backslash, tab, newline or carriage
# return inside a field is written as an escape (PostgreSQL's documentation, "COPY", "Text Format")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_SPECIAL_IN_LINE = re.compile(r"[\\\n\r]")  # a line's tabs are counted instead
COPY_CHUNK = 20_000  # rows per write: a few MB
_PLAIN = frozenset((str, int))  # written by str() as they are (not bool: str(True) is "True")


def copy_text(value) -> str:
    """One field as ``COPY ... FROM STDIN`` (text format) reads it: str, int, bool, datetime or None."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], value)
    raise TypeError(f"copy_text takes str, int, bool, datetime or None, not {type(value).__name__}")


def sql_literal(value) -> str:
    """A value as the driver receives it (``db_value``), written into SQLite's SQL: None, bool, int or str."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a NUL character cannot be written into SQL")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"sql_literal takes str, int, bool or None, not {type(value).__name__}")


def insert_many(conn, table, columns: list[str], rows: Iterable[tuple], *, same: Mapping[str, object]) -> int:
    """Many rows of a few fields each, and columns with the ``same`` value in every row, all as the driver takes
    them (``db_value``; on PostgreSQL str, int, bool, datetime or None: ``copy_text``). Returns the number of rows.

    For millions of rows, where ``bulk_insert`` spends most of its time formatting the same values again and
    again: on PostgreSQL each row is written as ``COPY`` text by hand (the ``same`` fields formatted once; a
    row of plain fields is one join, checked for what would need an escape), on SQLite the ``same`` values are
    written into the statement once and only the others are bound per row."""
    names = [*columns, *same]
    if conn.dialect.name == "postgresql":
        tail = "".join("\t" + copy_text(v) for v in same.values()) + "\n"
        tabs = len(columns) - 1
        count = 0
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(names)}) FROM STDIN') as copy:
            lines: list[str] = []
            for row in rows:
                line = "\t".join(map(str, row))
                if not _PLAIN.issuperset(map(type, row)) or line.count("\t") != tabs or \
                        _COPY_SPECIAL_IN_LINE.search(line):
                    line = "\t".join(map(copy_text, row))  # None, bool, a time, or text to escape
                lines.append(line + tail)
                if len(lines) >= COPY_CHUNK:
                    copy.write("".join(lines))
                    count += len(lines)
                    lines.clear()
            if lines:
                copy.write("".join(lines))
                count += len(lines)
        return count
    values = ", ".join(["?"] * len(columns) + [sql_literal(v) for v in same.values()])
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({values})'
    cur = conn.connection.dbapi_connection.cursor()
    count = 0
    try:
        rows = iter(rows)
        while batch := list(islice(rows, 50_000)):
            cur.executemany(sql, batch)
            count += len(batch)
    finally:
        cur.close()
    return count
