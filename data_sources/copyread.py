"""Results read from PostgreSQL as CSV through COPY and parsed by Arrow, instead of row tuples.

The refresh's grouped statements return hundreds of thousands of rows (a 1M-request full refresh: 520,000
request rows of 17 columns). Fetched as tuples, psycopg makes a Python object of every value and pandas infers
each column's type from them: 1.2 s of the request statement's 4.7 s at 1M. `COPY (statement) TO STDOUT` sends
the same rows as CSV text, which pyarrow parses in C++ with the column types the statement declares: 0.3-0.6 s
(docs/benchmarks.md). Only statements whose every column is text or a number take this path; the others (dates,
booleans, other drivers and engines), and a result whose text does not parse as the declared types, are read as
tuples (data_sources.quality.result_frame).

The parameters are bound client-side by psycopg (COPY takes no server-side parameters): a number becomes a
literal that the server types by its own rules (3600.0 is numeric, not float8), which the refresh's statements
give the same results with (tests/integration/test_copyread.py compares whole snapshots).
"""

from __future__ import annotations

import io
import logging

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Float, Integer, Numeric, String
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# SQLAlchemy type -> Arrow type of a copied column, first match (Float before Numeric, its base class).
ARROW_TYPES = ((String, pa.string()), (Integer, pa.int64()), (Float, pa.float64()), (Numeric, pa.float64()))


def _arrow_type(sql_type) -> pa.DataType | None:
    return next((arrow for kind, arrow in ARROW_TYPES if isinstance(sql_type, kind)), None)


def copied_frame(conn, statement) -> pd.DataFrame | None:
    """The rows of a statement read through COPY as a DataFrame: the columns in the statement's order and
    declared types (a NULL in an integer column makes it float, as pandas makes it from tuples). None, and
    nothing sent, when the statement cannot take this path (not PostgreSQL through psycopg, a column neither
    text nor a number, a parameter SQLAlchemy converts before the driver sees it); None after sending when the
    text does not parse as the declared types (a source's NUMERIC score summed to 12.0 in a column the mapping
    declares Integer): the caller then reads tuples. A database error is raised as SQLAlchemy raises it from
    execute().

    The connection's before/after_cursor_execute listeners are told of the COPY as of SQLAlchemy's own
    executions (the refresh benchmark records and replays statements through them), with no execution context;
    a listener's return value is not used."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    columns = list(statement.selected_columns)
    types = [_arrow_type(col.type) for col in columns]
    if None in types:
        return None
    import psycopg  # only where PostgreSQL is read through psycopg

    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    if any(bind.type.dialect_impl(dialect).bind_processor(dialect) is not None for bind in compiled.binds.values()):
        return None
    driver = conn.connection.driver_connection
    buffer = io.BytesIO()
    try:
        with psycopg.ClientCursor(driver) as client:
            query = client.mogrify(str(compiled), compiled.params)
        # UTF-8 whatever the connection's client encoding, which is what Arrow reads
        sql = f"COPY ({query}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')"
        with driver.cursor() as cursor:
            conn.dispatch.before_cursor_execute(conn, cursor, sql, None, None, False)
            with cursor.copy(sql) as copy:
                for block in copy:
                    buffer.write(block)
            conn.dispatch.after_cursor_execute(conn, cursor, sql, None, None, False)
    except psycopg.Error as exc:  # as SQLAlchemy would raise it from execute(): the caller's errors stay one kind
        if driver.closed:
            conn.invalidate(exc)
        raise DBAPIError.instance(str(compiled), None, exc, psycopg.Error) from exc
    names = [col.key for col in columns]
    if buffer.tell() == 0:
        return pd.DataFrame(columns=names)
    buffer.seek(0)
    try:
        table = pcsv.read_csv(
            buffer,
            read_options=pcsv.ReadOptions(column_names=[f"c{i}" for i in range(len(names))]),
            # a one-column row holding NULL is an empty line: a row, not a line to skip
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            # an unquoted empty field is NULL, a quoted one ("") the empty string: COPY's CSV convention
            convert_options=pcsv.ConvertOptions(
                column_types={f"c{i}": arrow for i, arrow in enumerate(types)},
                null_values=[""], quoted_strings_can_be_null=False, strings_can_be_null=True),
        )
    except pa.ArrowInvalid:  # the values themselves stay out of the log: they are the source's data
        log.warning("a result read through COPY does not parse as its declared column types; reading tuples",
                    extra={"event": "copy_read_fallback", "columns": names})
        return None
    del buffer
    return table.rename_columns(names).to_pandas()
