"""db/bulk.py's bulk writes (COPY on PostgreSQL, executemany on SQLite): every kind of value they are given comes
back as it went in (text with tabs, newlines and backslashes, bytes, NULL, booleans, times)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, Integer, LargeBinary, MetaData, Table, Text, select

from safe4c.db.bulk import bulk_insert, db_value
from safe4c.db.tables import UTCDateTime

ROWS = [
    (1, "plain", b"\x00\x01\xff", True, datetime(2026, 1, 31, 20, 0, tzinfo=timezone.utc)),
    (2, "tab\there, line\nthere, back\\slash, cr\r, \\N itself", b"", False,
     datetime(2026, 12, 5, 3, 10, 24, 123456, tzinfo=timezone.utc)),
    (3, None, None, None, None),
    (4, "emoji 🙂 dan aksara ꦗꦮ", b"\\x00", True, datetime(2026, 2, 1, tzinfo=timezone.utc)),
]


def test_every_value_comes_back_as_it_went_in(engine):
    table = Table("bulk_copy_probe", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text),
                  Column("blob", LargeBinary), Column("flag", Boolean), Column("at", UTCDateTime(timezone=True)))
    table.create(engine)
    try:
        with engine.begin() as conn:
            # as the driver takes them (db_value: SQLite stores datetimes as text); PostgreSQL's COPY gets them as is
            rows = [(i, body, blob, db_value(conn, table.c.flag, flag), db_value(conn, table.c.at, at))
                    for i, body, blob, flag, at in ROWS]
            assert bulk_insert(conn, table, ["id", "body", "blob", "flag", "at"], rows, batch_size=3) == 4
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))] == ROWS
    finally:
        table.drop(engine)

