"""Bulk loading of DataFrames into a canonical table: COPY on PostgreSQL, batched inserts elsewhere.

Frames are converted to Arrow with the column types of the SQLAlchemy table, so that NaT, NaN and <NA> all
become NULL and every engine receives the same values. The table's indexes are dropped for the load and
rebuilt afterwards (also when the load fails), which is several times faster than maintaining them row by row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Engine, Table

Progress = Callable[[str, int, int], None]

# Arrow type of each SQLAlchemy column type, keyed by the Python type the column holds.
ARROW_TYPES = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    datetime.datetime: pa.timestamp("s"),
    datetime.date: pa.date32(),
    bool: pa.bool_(),
}
EXECUTEMANY_ROWS = 5_000  # rows per executemany call on engines without COPY (pymysql sends multi-row INSERTs)
PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
PROBE = datetime.datetime(2001, 2, 3, 4, 5, 6)


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table's columns, in table order."""
    return pa.schema([(c.name, ARROW_TYPES[c.type.python_type]) for c in table.columns])


def arrow_batch(frame: pd.DataFrame, table: Table) -> pa.Table:
    """A frame as an Arrow table with exactly the table's columns and types; missing values become nulls."""
    schema = arrow_schema(table)
    batch = pa.Table.from_pandas(frame[schema.names], preserve_index=False)
    return batch.cast(schema)


def csv_buffer(batch: pa.Table) -> pa.Buffer:
    """CSV without header as PostgreSQL's COPY ... (FORMAT csv) reads it: nulls unquoted and empty."""
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(batch, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def rendered_as_text(column: pa.ChunkedArray, process: Callable) -> pa.ChunkedArray | None:
    """A date or time column as the text the dialect's type processor makes of it (SQLite), computed by Arrow.

    None when the processor does not produce Arrow's rendering of a probe value, optionally followed by zero
    microseconds (exact for second-resolution values); the caller then applies the processor value by value.
    """
    if not (pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
        return None
    probe = PROBE if pa.types.is_timestamp(column.type) else PROBE.date()
    arrow_text = pa.scalar(probe, column.type).cast(pa.string()).as_py()
    produced = process(probe)
    if not isinstance(produced, str) or produced not in (arrow_text, arrow_text + ".000000"):
        return None
    text = column.cast(pa.string())
    return pc.binary_join_element_wise(text, produced.removeprefix(arrow_text), "") if produced != arrow_text else text


def python_values(column: pa.ChunkedArray, process: Callable | None) -> list:
    """One column as the Python values the driver binds: None for NULL, through the type processor if any."""
    if process is not None and (text := rendered_as_text(column, process)) is not None:
        column, process = text, None
    plain = pa.types.is_string(column.type) or (column.null_count == 0 and not pa.types.is_temporal(column.type))
    values = column.to_numpy(zero_copy_only=False).tolist() if plain else column.to_pylist()
    return values if process is None else [None if v is None else process(v) for v in values]


def python_rows(batch: pa.Table, table: Table, dialect) -> list[tuple]:
    """Rows of Python values as the DBAPI driver binds them (through the dialect's own type processors)."""
    columns = [
        python_values(column, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name, column in zip(batch.column_names, batch.columns)
    ]
    return list(zip(*columns))


def quoted(engine: Engine, table: Table) -> tuple[str, str]:
    """The table name and its column list, quoted for the engine."""
    prep = engine.dialect.identifier_preparer
    return prep.format_table(table), ", ".join(prep.quote(c.name) for c in table.columns)


def clear_table(engine: Engine, table: Table) -> None:
    """Delete every row of a table (TRUNCATE where the engine has it)."""
    name, _ = quoted(engine, table)
    statement = f"DELETE FROM {name}" if engine.dialect.name == "sqlite" else f"TRUNCATE TABLE {name}"
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)


@contextmanager
def indexes_dropped(engine: Engine, table: Table):
    """Drop a table's indexes for the duration of the block, then build them again (and refresh statistics)."""
    with engine.begin() as conn:
        for index in table.indexes:
            index.drop(conn, checkfirst=True)
    try:
        yield
    finally:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET maintenance_work_mem = '256MB'")
            for index in table.indexes:
                index.create(conn, checkfirst=True)
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"ANALYZE {quoted(engine, table)[0]}")


def _copy_postgresql(raw, engine: Engine, table: Table, batches: Iterator[pa.Table], tick) -> None:
    """COPY every batch as CSV through one psycopg COPY; a worker thread sends while the next batch is built."""
    from psycopg.copy import QueuedLibpqWriter

    name, columns = quoted(engine, table)
    cursor = raw.driver_connection.cursor()
    cursor.execute("SET client_encoding TO 'UTF8'")
    with cursor.copy(f"COPY {name} ({columns}) FROM STDIN (FORMAT csv)", writer=QueuedLibpqWriter(cursor)) as copy:
        for batch in batches:
            copy.write(memoryview(csv_buffer(batch)))
            tick(batch.num_rows)


def _executemany(raw, engine: Engine, table: Table, batches: Iterator[pa.Table], tick) -> None:
    """Multi-row INSERTs of a few thousand rows per call (pymysql rewrites executemany into one statement)."""
    name, columns = quoted(engine, table)
    marks = ", ".join([PLACEHOLDERS[engine.dialect.paramstyle]] * len(table.columns))
    sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
    cursor = raw.cursor()
    for batch in batches:
        for start in range(0, batch.num_rows, EXECUTEMANY_ROWS):
            cursor.executemany(sql, python_rows(batch.slice(start, EXECUTEMANY_ROWS), table, engine.dialect))
        tick(batch.num_rows)
    cursor.close()


@contextmanager
def unsynchronised(raw, engine: Engine):
    """On SQLite, skip fsync while the block runs (one transaction: a crash loses the load, not the file)."""
    if engine.dialect.name != "sqlite":
        yield
        return
    cursor = raw.cursor()
    level = cursor.execute("PRAGMA synchronous").fetchone()[0]
    cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA synchronous = {int(level)}")
        cursor.close()


def load_frames(
    engine: Engine,
    table: Table,
    frames: Iterable[pd.DataFrame],
    progress: Progress | None = None,
    total: int | None = None,
) -> int:
    """Append every frame to the table in one transaction; report progress per frame; return rows written."""
    done = 0

    def tick(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None and rows:
            progress(table.name, done, max(total or 0, done))

    batches = (arrow_batch(frame, table) for frame in frames)
    load = _copy_postgresql if engine.dialect.name == "postgresql" else _executemany
    with indexes_dropped(engine, table):
        raw = engine.raw_connection()
        try:
            with unsynchronised(raw, engine):
                try:
                    load(raw, engine, table, batches, tick)
                    raw.commit()
                except BaseException:
                    raw.rollback()
                    raise
        finally:
            raw.close()
    if progress is not None and (done == 0 or done < (total or 0)):
        progress(table.name, done, done)  # nothing, or fewer rows than announced: end the progress line
    return done

