"""db/bulk.py's bulk writes (COPY on PostgreSQL, executemany on SQLite; insert_many's hand-made COPY text): every kind of value they are given comes
back as it went in (text with tabs, newlines and backslashes, bytes, NULL, booleans, times)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import Boolean, Column, Integer, LargeBinary, MetaData, Table, Text, select

from safe4c.db.bulk import bulk_insert, copy_text, db_value, insert_many, sql_literal
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



MANY = [
    (1, "plain", "abc"),
    (2, "tab\there, line\nthere, back\\slash, cr\r", "\\N itself"),
    (3, None, "emoji 🙂 dan aksara ꦗꦮ"),
    (4, "None", ""),  # the word, not NULL
    (5, "it's", "a\\tb"),
    (6, "a\tb", "c"),  # a tab alone: only the count of a line's tabs tells
]


def test_insert_many_writes_the_same_columns_once_and_every_row_as_it_went_in(engine):
    """insert_many (db/bulk.py): rows of plain fields formatted by hand for COPY on PostgreSQL, bound on SQLite;
    the ``same`` columns written once: text that needs escaping, NULL and the word None, quotes, times."""
    at = datetime(2026, 12, 5, 3, 10, 24, 123456, tzinfo=timezone.utc)
    table = Table("bulk_many_probe", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text),
                  Column("other", Text), Column("label", Text), Column("flag", Boolean), Column("gone", Text),
                  Column("at", UTCDateTime(timezone=True)))
    table.create(engine)
    try:
        with engine.begin() as conn:
            same = {"label": "bank's\tlist\\", "flag": db_value(conn, table.c.flag, True), "gone": None,
                    "at": db_value(conn, table.c.at, at)}
            assert insert_many(conn, table, ["id", "body", "other"], iter(MANY), same=same) == len(MANY)
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))] == [
                (*row, "bank's\tlist\\", True, None, at) for row in MANY]
    finally:
        table.drop(engine)


def test_copy_text_and_sql_literal_refuse_what_they_cannot_write():
    assert copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re" and copy_text(None) == "\\N"
    assert copy_text(True) == "t" and copy_text(7) == "7"
    assert sql_literal("it's") == "'it''s'" and sql_literal(None) == "NULL" and sql_literal(False) == "0"
    for bad in (b"bytes", 1.5):
        with pytest.raises(TypeError):
            copy_text(bad)
        with pytest.raises(TypeError):
            sql_literal(bad)
    with pytest.raises(ValueError):
        sql_literal("nul\x00")
