"""Grouped results read from PostgreSQL as CSV through COPY and parsed by Arrow, instead of row tuples.

The refresh's grouped statements return hundreds of thousands of rows (a 1M-request full refresh: 520,000
request rows of 17 columns). Fetched as tuples, psycopg makes a Python object of every value and pandas infers
each column's type from them: 1.2 s of the request statement's 4.7 s at 1M. `COPY (statement) TO STDOUT` sends
the same rows as CSV text, which pyarrow parses in C++ with the column types the statement declares: 0.3 s
(docs/benchmarks.md). Only statements whose every column is text or a number take this path; the others (dates,
booleans, other drivers and engines) are read as tuples (data_sources.quality.result_frame).
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Float, Integer, Numeric, String
from sqlalchemy.exc import DBAPIError

# SQLAlchemy type -> Arrow type of a copied column, first match (Float before Numeric, its base class).
ARROW_TYPES = ((String, pa.string()), (Integer, pa.int64()), (Float, pa.float64()), (Numeric, pa.float64()))


def _arrow_type(sql_type) -> pa.DataType | None:
    return next((arrow for kind, arrow in ARROW_TYPES if isinstance(sql_type, kind)), None)


def copyable(conn, statement) -> bool:
    """True when a statement can be read by copied_frame on this connection: PostgreSQL through psycopg, every
    column text or a number, and no parameter that SQLAlchemy converts before the driver sees it."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    return all(_arrow_type(col.type) is not None for col in statement.selected_columns)


def copied_frame(conn, statement) -> pd.DataFrame | None:
    """The rows of a copyable statement as a DataFrame (the columns in the statement's order and types; a NULL
    in an integer column makes it float, as pandas makes it from tuples); None when the statement's parameters
    need SQLAlchemy's conversion (the caller then reads tuples)."""
    import psycopg  # only where PostgreSQL is read through psycopg

    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    dialect = conn.dialect
    if any(bind.type.dialect_impl(dialect).bind_processor(dialect) is not None for bind in compiled.binds.values()):
        return None
    driver = conn.connection.driver_connection
    # the parameters bound by psycopg itself, client-side (COPY takes no server-side parameters)
    query = psycopg.ClientCursor(driver).mogrify(str(compiled), compiled.params)
    sql = f"COPY ({query}) TO STDOUT (FORMAT csv)"
    buffer = io.BytesIO()
    try:
        with driver.cursor() as cursor:
            # the connection's cursor-execute listeners see the COPY as they see SQLAlchemy's own executions
            # (the refresh benchmark records and replays statements through them)
            conn.dispatch.before_cursor_execute(conn, cursor, sql, None, None, False)
            with cursor.copy(sql) as copy:
                for block in copy:
                    buffer.write(block)
            conn.dispatch.after_cursor_execute(conn, cursor, sql, None, None, False)
    except psycopg.Error as exc:  # as SQLAlchemy would raise it from execute(): the caller's errors stay one kind
        if driver.closed:
            conn.invalidate(exc)
        raise DBAPIError.instance(str(compiled), None, exc, psycopg.Error) from exc
    columns = list(statement.selected_columns)
    names = [col.key for col in columns]
    if buffer.tell() == 0:
        return pd.DataFrame(columns=names)
    buffer.seek(0)
    table = pcsv.read_csv(
        buffer,
        read_options=pcsv.ReadOptions(column_names=[f"c{i}" for i in range(len(names))]),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        # an unquoted empty field is NULL, a quoted one ("") the empty string: COPY's CSV convention
        convert_options=pcsv.ConvertOptions(
            column_types={f"c{i}": _arrow_type(col.type) for i, col in enumerate(columns)},
            null_values=[""], quoted_strings_can_be_null=False, strings_can_be_null=True),
    )
    del buffer
    return table.rename_columns(names).to_pandas()
