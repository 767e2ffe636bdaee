"""Bad-row rules of ../shared/DATA.md, run as SQL in the source: counted per reason, listed for inspection.

Every rule is a SQL expression over the canonical columns (through `SqlSources.canonical`, so a mapping
applies), evaluated by the source database; raw rows are never pulled into Python except for the
bounded listing. A row that breaks several rules counts once, under the first reason in `REASONS`.
Duplicates: among the rows of one id that pass every other rule, the earliest is kept and the others are
`duplicate_id` (docs/metrics.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, or_, select, true, tuple_, union_all

from dashboard.quality import REASONS
from dashboard.sqlfuncs import id_in, year_month
from data_sources.schema import CHANNELS, FACTS, INDICATORS, SCORES, STATUSES

LISTING_LIMIT = 500


def _not_in(column, allowed) -> object:
    """NULL or outside the allowed values (a bare NOT IN would let NULL through)."""
    return or_(column.is_(None), column.not_in(list(allowed)))


def _rules(table: str, c, codes, now: datetime) -> list[tuple[str, object]]:
    """(reason, condition) pairs of a fact table, in precedence order, duplicate_id excluded."""
    unknown_unit = _not_in(c.district_code, codes)
    if table == "service_request":
        return [
            ("unknown_unit", unknown_unit),
            ("unknown_code", or_(_not_in(c.channel, CHANNELS), _not_in(c.status, STATUSES))),
            ("null_time", or_(c.submitted_at.is_(None), and_(c.status == "completed", c.completed_at.is_(None)))),
            ("future_time", or_(c.submitted_at > now, c.completed_at > now)),
            ("completed_before_submitted", c.completed_at < c.submitted_at),
        ]
    if table == "review":
        return [
            ("unknown_unit", unknown_unit),
            ("unknown_code", _not_in(c.channel, CHANNELS)),
            ("bad_score", _not_in(c.score, SCORES)),
            ("null_time", c.created_at.is_(None)),
            ("future_time", or_(c.created_at > now, c.rectified_at > now, c.visited_at > now)),
            ("rectified_before_created", c.rectified_at < c.created_at),
        ]
    if table == "district_indicator":
        return [
            ("unknown_unit", unknown_unit),
            ("unknown_code", _not_in(c.indicator_code, INDICATORS)),
            (
                "bad_value",
                or_(c.value.is_(None), c.value < 0, and_(c.indicator_code == "grade_protection_rate", c.value > 1)),
            ),
            ("null_time", c.period.is_(None)),
            ("future_time", c.period > now.date()),
        ]
    raise KeyError(table)


def _restricted(source, spec: dict, restrict, dialect: str):
    """Rows of every id that has at least one row meeting `restrict` (whole id groups, so that the
    duplicate rule sees every copy), read through the id index (sqlfuncs.id_in); all rows when `restrict` is
    None."""
    if restrict is None:
        return select(*source.c)
    ids = [source.c[k] for k in spec["id"]]
    wanted = select(*ids).where(restrict(source.c))
    if len(ids) == 1:
        return select(*source.c).where(id_in(ids[0], wanted, dialect))
    return select(*source.c).where(tuple_(*ids).in_(wanted))


# Engines whose plans rank only the repeated ids faster than every row (bench refresh, docs/benchmarks.md).
RANK_REPEATED_ONLY = ("postgresql", "sqlite")


def classified(sources, table: str, codes, now: datetime, restrict=None):
    """Every row of a fact table with a `reason` column: NULL for a good row, else why it is bad.

    `restrict(columns) -> condition` limits the work to the id groups with a row meeting it (incremental
    refresh); a row's reason is the same as in a full pass because whole id groups are kept.

    The duplicate rule ranks the rows of an id with a window, which sorts every row it ranks. Over a whole table
    on PostgreSQL and SQLite only the ids that occur more than once are ranked: one GROUP BY over the ids finds
    them (materialised, so that the other rows are told apart by a hash anti-join), and the other rows cannot be
    duplicates. A restricted scope is small and is ranked whole, as is every row on MariaDB.
    """
    spec = FACTS[table]
    dialect = sources.engine(sources.source_of(table)).dialect.name
    base = _restricted(sources.canonical(table), spec, restrict, dialect).subquery("rows_in_scope")
    c = base.c
    first_fault = case(*[(cond, literal(reason)) for reason, cond in _rules(table, c, codes, now)], else_=None)
    faults = select(*c, first_fault.label("fault")).subquery("rows_with_faults")
    f = faults.c
    names = [col.key for col in c]
    if restrict is not None or dialect not in RANK_REPEATED_ONLY:
        return _ranked(f, spec, names, true()).subquery(f"{table}_classified")
    keys = spec["id"]
    ids = select(*(c[k] for k in keys)).where(*(c[k].is_not(None) for k in keys))
    if dialect == "postgresql":
        # counted over the ids in order: without the ORDER BY, PostgreSQL hashes every id of a table of 1M rows
        # (0.8 s, spilling batches) where a group aggregate over the id index takes 0.27 s; at 10M it groups in
        # order either way. The ORDER BY steers the planner (the sorted input makes grouping in order cheap); it
        # does not force a plan
        ids = select(*ids.order_by(*(c[k] for k in keys)).subquery(f"{table}_ids").c)
    id_keys = list(ids.selected_columns)
    repeated = (ids.group_by(*id_keys).having(func.count() > 1)
                .cte(f"{table}_repeated_ids").prefix_with("MATERIALIZED", dialect="postgresql"))
    known = and_(*(f[k].is_not(None) for k in keys))
    twice = exists().where(*(repeated.c[k] == f[k] for k in keys))
    once = select(*(f[k] for k in names), f.fault.label("reason")).where(known, ~twice)
    # the rows of a repeated id, and apart (an OR would defeat the semi-join) the rows without a whole id
    again, unknown = _ranked(f, spec, names, twice), _ranked(f, spec, names, ~known)
    return union_all(once, again, unknown).subquery(f"{table}_classified")


def _ranked(f, spec: dict, names: list[str], where):
    """Rows of `f` (canonical columns and `fault`) meeting `where`, with their reason: the fault, else
    duplicate_id for every copy of an id but the earliest fault-free one."""
    rank = func.row_number().over(
        partition_by=[*(f[k] for k in spec["id"]), f.fault.is_(None)],
        order_by=[f[spec["time"]], *(f[k] for k in names if k not in spec["id"])],
    )
    ranked = select(*(f[k] for k in names), f.fault, rank.label("copy_no")).where(where).subquery("rows_ranked")
    r = ranked.c
    reason = case((r.fault.is_not(None), r.fault), (r.copy_no > 1, literal("duplicate_id")), else_=None)
    return select(*(r[k] for k in names), reason.label("reason"))


def clean(sources, table: str, codes, now: datetime, restrict=None):
    """The good rows of a fact table: what every aggregate reads (optionally only some id groups)."""
    rows = classified(sources, table, codes, now, restrict)
    return (
        select(*(col for col in rows.c if col.key != "reason"))
        .where(rows.c.reason.is_(None))
        .subquery(f"{table}_clean")
    )


def _unprocessed(result) -> bool:
    """True when no column of a result needs SQLAlchemy's result processing on its dialect (text, integers,
    dates as the driver gives them), so the DBAPI rows can be taken as they are."""
    compiled = getattr(result.context, "compiled", None)
    if compiled is None:
        return False
    dialect = result.context.dialect
    columns = list(compiled.statement.selected_columns)
    description = result.cursor.description or ()
    if len(columns) != len(description):
        return False
    try:
        return all(col.type.dialect_impl(dialect).result_processor(dialect, described[1]) is None
                   for col, described in zip(columns, description, strict=True))
    except (TypeError, ValueError, KeyError):  # a driver type code a dialect does not know: process the rows
        return False


# Rows per chunk when a result is read into a frame: a chunk's tuples are dropped once it is a frame.
CHUNK_ROWS = 50_000


def result_frame(result, objects: bool = False) -> pd.DataFrame:
    """A SQLAlchemy result as a DataFrame, one column per result column, read in chunks so that only one chunk
    of Python row tuples is held at a time (not with `stream_results`: SQLAlchemy then buffers rows ahead of the
    DBAPI cursor read here).

    The rows go in as plain tuples: handed SQLAlchemy `Row`s, pandas asks each row for namedtuple attributes
    that a Row answers by raising, which cost 2 s per 500,000 rows. Where no column needs result processing (the
    refresh's grouped statements), the tuples come straight from the DBAPI cursor: 0.2 s instead of 1.1 s for
    SQLAlchemy's rows at 500,000 rows (docs/benchmarks.md).

    With `objects`, every column holds the values as the driver gave them (no inference: an integer column
    with a NULL stays integers and None, not floats), so that a listed row reads the same whichever other rows
    were read with it."""
    keys = list(result.keys())
    if _unprocessed(result):
        fetch = result.cursor.fetchmany
    else:
        def fetch(size: int) -> list[tuple]:
            return [tuple(row) for row in result.fetchmany(size)]
    chunks = []
    while rows := fetch(CHUNK_ROWS):
        chunks.append(pd.DataFrame(list(rows), columns=keys, dtype=object if objects else None))
    if not chunks:
        return pd.DataFrame(columns=keys)
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


def _read(sources, table: str, stmt, objects: bool = False) -> pd.DataFrame:
    """Run a statement in the source that holds a table (result_frame)."""
    with sources.engine(sources.source_of(table)).connect() as conn:
        return result_frame(conn.execute(stmt), objects)


def _since_scope(table: str, since: dict | None):
    """restrict(columns): rows dated from `since[table]` on or undated; None (all rows) without one."""
    start = (since or {}).get(table)
    if start is None:
        return None
    time = FACTS[table]["time"]
    return lambda c: or_(c[time] >= start, c[time].is_(None))


def bad_row_counts(sources, codes, now: datetime, since: dict | None = None, tables=tuple(FACTS)) -> pd.DataFrame:
    """Bad rows per source, table, reason and month of the row ('' where the row has no usable date).

    With `since` (table -> first day), only rows dated from then on or undated are counted."""
    frames = []
    for table in tables:
        spec = FACTS[table]
        rows = classified(sources, table, codes, now, _since_scope(table, since))
        dated = (
            select(rows.c.reason, func.coalesce(year_month(rows.c[spec["time"]]), literal("")).label("month"))
            .where(rows.c.reason.is_not(None))
            .subquery("bad_rows")
        )
        stmt = select(dated.c.reason, dated.c.month, func.count().label("rows")).group_by(dated.c.reason, dated.c.month)
        frame = _read(sources, table, stmt)
        if not frame.empty:
            frame.insert(0, "table", table)
            frame.insert(0, "source", spec["source"])
            frames.append(frame)
    columns = ["source", "table", "reason", "month", "rows"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "rows" else "object") for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.astype({"rows": "int64"}).sort_values(columns[:4], ignore_index=True)


def row_counts(sources) -> dict[str, int]:
    """All rows, good and bad, per fact table."""
    return {
        table: int(_read(sources, table, select(func.count().label("n")).select_from(sources.canonical(table)))["n"][0])
        for table in FACTS
    }


def bad_row_listing(
    sources, table: str, codes, now: datetime, *, reason: str | None = None, offset: int = 0, limit: int = 100
) -> pd.DataFrame:
    """One page of a table's bad rows, newest first: table, reason, row_id, district_code, time and the row."""
    if not 0 < limit <= LISTING_LIMIT or offset < 0:
        raise ValueError(f"limit must be 1..{LISTING_LIMIT} and offset >= 0")
    spec = FACTS[table]
    rows = classified(sources, table, codes, now)
    stmt = select(rows).where(rows.c.reason.is_not(None))
    if reason is not None:
        stmt = stmt.where(rows.c.reason == reason)
    time_col = rows.c[spec["time"]]
    stmt = stmt.order_by(time_col.is_(None).desc(), time_col.desc(), *(rows.c[k] for k in spec["id"]))
    raw = _read(sources, table, stmt.offset(offset).limit(limit), objects=True)
    return listing_frame(table, raw)


def bad_rows_of(sources, table: str, codes, now: datetime, ids, since: dict | None = None) -> pd.DataFrame:
    """The bad rows of the id groups `ids` of a table with a one-column id, dated from `since[table]` on or
    undated, in the listing shape: the rows behind the sample ids that the refresh's one pass chose
    (dashboard.aggregation.quality_parts), read through the id index."""
    (ident,) = FACTS[table]["id"]
    ids = sorted(set(ids))
    if not ids:
        return listing_frame(table, pd.DataFrame())
    rows = classified(sources, table, codes, now, lambda c: c[ident].in_(ids))
    dated = _since_scope(table, since)
    stmt = select(rows).where(rows.c.reason.is_not(None))
    if dated is not None:
        stmt = stmt.where(dated(rows.c))
    return listing_frame(table, _read(sources, table, stmt, objects=True))


def bad_row_sample(sources, table: str, codes, now: datetime, per_reason: int, since: dict | None = None):
    """The newest `per_reason` bad rows of each reason of a table, in one pass (only recent ones with `since`)."""
    spec = FACTS[table]
    rows = classified(sources, table, codes, now, _since_scope(table, since))
    time_col = rows.c[spec["time"]]
    newest = func.row_number().over(
        partition_by=rows.c.reason,
        order_by=[time_col.is_(None).desc(), time_col.desc(), *(rows.c[k] for k in spec["id"])],
    )
    ranked = select(rows, newest.label("newest")).where(rows.c.reason.is_not(None)).subquery("bad_ranked")
    stmt = select(*(col for col in ranked.c if col.key != "newest")).where(ranked.c.newest <= per_reason)
    raw = _read(sources, table, stmt.order_by(ranked.c.reason, ranked.c.newest), objects=True)
    return listing_frame(table, raw)


def _json_value(value):
    """A cell as a JSON value: missing as null, times as text, numpy numbers as Python numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value.item() if hasattr(value, "item") else value


def _text(value) -> str:
    """A cell as display text; missing values as ''."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def listing_frame(table: str, raw: pd.DataFrame) -> pd.DataFrame:
    """Bad rows of one table in the shared listing shape; every original column kept as JSON in `row`."""
    spec = FACTS[table]
    columns = ["source", "table", "reason", "row_id", "district_code", "time", "row"]
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    detail = raw.drop(columns=["reason"])
    return pd.DataFrame(
        {
            "source": spec["source"],
            "table": table,
            "reason": raw["reason"],
            "row_id": [" / ".join(map(_text, values)) for values in raw[list(spec["id"])].itertuples(index=False)],
            "district_code": raw["district_code"].map(_text),
            "time": raw[spec["time"]].map(_text),
            "row": [
                json.dumps({k: _json_value(v) for k, v in r.items()}, ensure_ascii=False)
                for r in detail.to_dict("records")
            ],
        }
    )[columns]


def format_report(sources, city, now: datetime, limit: int = 20) -> str:
    """Text report for `python -m dashboard check`: totals, counts per reason, newest bad rows."""
    codes = city.codes
    totals = row_counts(sources)
    counts = bad_row_counts(sources, codes, now)
    per_reason = counts.groupby(["source", "table", "reason"], as_index=False)["rows"].sum()
    lines = [f"Bad rows as of {now:%Y-%m-%d %H:%M} (local time)", ""]
    for table, spec in FACTS.items():
        bad = int(per_reason.loc[per_reason["table"] == table, "rows"].sum())
        share = bad / totals[table] if totals[table] else 0.0
        lines.append(f"{spec['source']}.{table}: {totals[table]:,} rows, {bad:,} bad ({share:.3%})")
        for reason in REASONS[table]:
            n = int(per_reason.loc[(per_reason["table"] == table) & (per_reason["reason"] == reason), "rows"].sum())
            lines.append(f"    {reason:<28}{n:>10,}")
    if limit > 0:
        lines += ["", f"Newest bad rows (up to {limit} per table):"]
        for table in FACTS:
            page = bad_row_listing(sources, table, codes, now, limit=min(limit, LISTING_LIMIT))
            lines += [f"  {r.table:<20}{r.reason:<28}{r.row_id:<36}{r.time}" for r in page.itertuples()]
    return "\n".join(lines)
