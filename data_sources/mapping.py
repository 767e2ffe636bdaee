"""A real database's own table names, column names and codes, mapped onto the canonical ones (docs/mapping.md).

The mapping never copies data. For each canonical table it builds a SQLAlchemy Core subquery over the real table
whose columns carry the canonical names and canonical values, so that every aggregate and bad-row rule written
against the canonical schema runs unchanged in the source database. Translations are SQL expressions: labels by
CASE (an unmapped label passes through, so the bad-row rules count it as `unknown_code`), review scales by CASE,
text and epoch timestamps by per-dialect conversion to naive local times of the city.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    column,
    extract,
    func,
    inspect,
    literal_column,
    null,
    select,
    table,
    type_coerce,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import SQLAlchemyError

from dashboard.aggregation import APPEAL_STATUSES, OPTIONAL_REVIEW_COLUMNS, RECTIFICATION_RATINGS
from dashboard.regions import GROUPS, KINDS
from data_sources.schema import CHANNELS, INDICATORS, METADATA, STATUSES

# Canonical code sets: a mapped label must translate to one of these; values outside them are reported.
CODE_SETS: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "status": STATUSES,
    "indicator_code": INDICATORS,
    "kind": KINDS,
    "group": GROUPS,
    "appeal_status": APPEAL_STATUSES,
    "rectification_rating": RECTIFICATION_RATINGS,
}

# Review scales: the canonical 1..5, words mapped to 1..5, or 0..10 converted by linear rounding.
Scale = Literal["1-5", "words", "0-10"]
# Upper bounds (exclusive) of 0..10 scores that become 1, 2, 3, 4; up to 10 becomes 5 (round(1 + 0.4 x), half up).
TEN_POINT_CUTS = (1.25, 3.75, 6.25, 8.75)

# How a timestamp is stored: the database's own date/time type, ISO text, or UTC epoch seconds / milliseconds.
TimeKind = Literal["native", "text", "epoch", "epoch_ms"]
ISO_TIMESTAMP = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?$"
)
ISO_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]).*)?$"
# Epoch seconds that give a year in 1..9999, the range every supported database can hold.
EPOCH_RANGE = (-62135596800, 253402300799)

# Rows the start-up check reads per coded column, and distinct values it lists at most.
SAMPLE_ROWS = 1_000_000
DISTINCT_LIMIT = 50


class MappingError(Exception):
    """A mapping file that cannot be used, or that does not match the databases; carries every problem."""

    def __init__(self, problems: list[str], intro: str = "The mapping does not match the sources:"):
        self.problems = list(problems)
        super().__init__(intro + "".join(f"\n  - {p}" for p in self.problems))


class ScoreScale(BaseModel):
    """How the real review table stores the score."""

    model_config = ConfigDict(extra="forbid")

    scale: Scale = Field("1-5", description="1-5 as is, words, or 0-10.")
    words: dict[str, int] = Field(default_factory=dict, description="For scale words: each word and its 1..5 score.")

    @field_validator("words", mode="before")
    @classmethod
    def _keys_as_text(cls, value):
        """Read numeric YAML keys as the text they stand for."""
        return _labels_as_text(value)


class TableMapping(BaseModel):
    """One canonical table: its real name, renamed columns, translated codes, stored time formats."""

    model_config = ConfigDict(extra="forbid")

    table: str | None = Field(None, description="Real table name, optionally schema.table; default: canonical.")
    columns: dict[str, str | None] = Field(default_factory=dict, description="Canonical column -> real column.")
    values: dict[str, dict[str, str]] = Field(default_factory=dict, description="Canonical column -> label map.")
    timestamps: dict[str, TimeKind] = Field(default_factory=dict, description="Canonical column -> time format.")
    score: ScoreScale | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _labels_keys_as_text(cls, value):
        """Read numeric YAML labels (1: web) as text, so that integer-coded columns can be mapped."""
        if not isinstance(value, dict):
            return value
        return {k: _labels_as_text(v) for k, v in value.items()}

    def real_table(self, canonical: str) -> tuple[str | None, str]:
        """(schema, name) of the real table."""
        name = self.table or canonical
        schema, _, bare = name.rpartition(".")
        return (schema or None), bare

    def real_column(self, canonical: str) -> str | None:
        """The real column that holds a canonical column; None when the mapping says it has none."""
        return self.columns.get(canonical, canonical)

    def time_kind(self, canonical: str) -> str:
        """How a canonical timestamp column is stored in the real table."""
        return self.timestamps.get(canonical, "native")


class Mapping(BaseModel):
    """The whole mapping file: canonical table name -> how the real database holds it."""

    model_config = ConfigDict(extra="forbid")

    tables: dict[str, TableMapping] = Field(default_factory=dict)

    def covers(self, name: str) -> bool:
        """True when the mapping names this canonical table."""
        return name in self.tables

    def of(self, name: str) -> TableMapping:
        """The mapping of a canonical table (canonical names when the file does not mention it)."""
        return self.tables.get(name) or TableMapping()


def _labels_as_text(value):
    """Turn int/float label keys into text; refuse YAML booleans (yes/no/on/off), which lose the label."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, target in value.items():
        if isinstance(key, bool):
            raise ValueError(f"label {key!r} was read as a boolean: quote labels like yes, no, on, off")
        out[str(key) if isinstance(key, int | float) else key] = target
    return out


@cache
def canonical_tables() -> dict[str, tuple[str, Any]]:
    """Every canonical table by name: (source, SQLAlchemy Table)."""
    return {name: (source, t) for source, factory in METADATA.items() for name, t in factory().tables.items()}


def _is_time(col) -> bool:
    """True for canonical DateTime and Date columns."""
    return isinstance(col.type, DateTime | Date)


def _table_problems(name: str, tm: TableMapping) -> list[str]:
    """What is wrong with one table's mapping, judged against the canonical schema alone."""
    out = []
    if tm.table is not None and (not tm.table.strip() or tm.table.count(".") > 1):
        out.append(f"{name}.table: {tm.table!r} is not a table name or schema.table")
    out += _column_problems(name, tm)
    out += _label_problems(name, tm)
    out += _time_problems(name, tm)
    if tm.score is not None:
        out += _score_problems(name, tm.score)
    return out


def _column_problems(name: str, tm: TableMapping) -> list[str]:
    """Renamed columns that are not canonical, or that may not be NULL."""
    cols = canonical_tables()[name][1].c
    out = []
    for key, real in tm.columns.items():
        if key not in cols:
            out.append(f"{name}.columns: {key!r} is not a canonical column of {name} ({', '.join(cols.keys())})")
        elif real is None and not cols[key].nullable:
            out.append(f"{name}.columns: {key} cannot be null (the canonical column is required); name the real column")
        elif real is not None and not real.strip():
            out.append(f"{name}.columns: {key} maps to an empty name")
    return out


def _label_problems(name: str, tm: TableMapping) -> list[str]:
    """Label maps on columns that hold no codes, or onto codes that are not canonical."""
    cols = canonical_tables()[name][1].c
    out = []
    for key, labels in tm.values.items():
        if key not in cols or not isinstance(cols[key].type, String):
            text_cols = ", ".join(c.name for c in cols if isinstance(c.type, String))
            hint = "; use score: for the review scale" if key == "score" else ""
            out.append(f"{name}.values: {key!r} is not a coded text column of {name} ({text_cols}){hint}")
            continue
        if tm.real_column(key) is None:
            out.append(f"{name}.values: {key} is mapped to no column, so it has no values to translate")
        if not labels:
            out.append(f"{name}.values.{key}: give at least one label")
        allowed = CODE_SETS.get(key)
        for label, target in labels.items():
            if allowed is not None and target not in allowed:
                out.append(
                    f"{name}.values.{key}: {label!r} maps to {target!r}, not a canonical {key} ({', '.join(allowed)})"
                )
            elif not target.strip():
                out.append(f"{name}.values.{key}: {label!r} maps to an empty code")
    return out


def _time_problems(name: str, tm: TableMapping) -> list[str]:
    """Time formats given for columns that are not timestamps, or that a month cannot have."""
    cols = canonical_tables()[name][1].c
    out = []
    for key, kind in tm.timestamps.items():
        if key not in cols or not _is_time(cols[key]):
            times = ", ".join(c.name for c in cols if _is_time(c)) or "none"
            out.append(f"{name}.timestamps: {key!r} is not a timestamp column of {name} ({times})")
        elif _is_month(cols[key]) and kind not in ("native", "text"):
            out.append(f"{name}.timestamps.{key}: a month is stored native or text ('YYYY-MM'), not {kind}")
        elif tm.real_column(key) is None and kind != "native":
            out.append(f"{name}.timestamps: {key} is mapped to no column, so it has no format")
    return out


def _is_month(col) -> bool:
    """True for a canonical Date (not DateTime) column: the indicator period."""
    return isinstance(col.type, Date) and not isinstance(col.type, DateTime)


def _score_problems(name: str, score: ScoreScale) -> list[str]:
    """What is wrong with a review scale."""
    if name != "review":
        return [f"{name}.score: only the review table has a score"]
    if score.scale != "words":
        if score.words:
            return [f"review.score.words: words are given only with scale: words (this is {score.scale})"]
        return []
    if not score.words:
        return ["review.score.words: scale words needs the words, e.g. {非常满意: 5, 满意: 4, ...}"]
    return [
        f"review.score.words: {word!r} maps to {n}, not a score 1..5"
        for word, n in score.words.items()
        if n not in (1, 2, 3, 4, 5)
    ]


def _pydantic_problems(exc: ValidationError) -> list[str]:
    """One line per structural error, located by its path in the file."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            expected = "table, columns, values, timestamps, score" if len(err["loc"]) == 3 else None
            msg = f"unknown key (expected: {expected})" if expected else "unknown key"
        lines.append(f"{where}: {msg}")
    return lines


def parse_mapping(data: Any, origin: str = "mapping") -> Mapping:
    """A Mapping from a parsed YAML/JSON document; MappingError lists every problem found."""
    intro = f"The mapping file {origin} cannot be used:"
    if not isinstance(data, dict):
        raise MappingError(["the file must hold a mapping with a 'tables' key"], intro)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_pydantic_problems(exc), intro) from None
    known = canonical_tables()
    listed = ", ".join(known)
    problems = [f"tables: {n!r} is not a canonical table ({listed})" for n in mapping.tables if n not in known]
    for name, tm in mapping.tables.items():
        if name in known:
            problems += _table_problems(name, tm)
    if problems:
        raise MappingError(problems, intro)
    return mapping


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file (.json as JSON, anything else as YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError([f"cannot read it: {exc.strerror}"], f"The mapping file {path} cannot be used:") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise MappingError([f"not valid JSON: {exc}"], f"The mapping file {path} cannot be used:") from None
    except yaml.YAMLError as exc:
        raise MappingError([f"not valid YAML: {exc}"], f"The mapping file {path} cannot be used:") from None
    return parse_mapping(data, str(path))


# --- Time zones ------------------------------------------------------------------------------------------------


def fixed_offset_seconds(zone: str) -> int | None:
    """The zone's UTC offset in seconds when it has one offset all year in 2000-2037; None when it changes."""
    tz = ZoneInfo(zone)
    offsets = {
        int(datetime(year, month, 15, 12, tzinfo=tz).utcoffset().total_seconds())
        for year in range(2000, 2038)
        for month in (1, 4, 7, 10)
    }
    return offsets.pop() if len(offsets) == 1 else None


def _zone_message(zone: str, dialect_name: str, columns: list[str]) -> str:
    """Why epoch timestamps cannot be converted with one fixed offset."""
    return (
        f"time zone {zone} changes its UTC offset (daylight saving), and epoch timestamps ({', '.join(columns)}) "
        f"on {dialect_name} are converted with one fixed offset; store them as text or native local times"
    )


def _epoch_zone_problem(mapping: Mapping, names: list[str], dialect_name: str, zone: str) -> str | None:
    """Why the epoch timestamps of these canonical tables cannot be converted on this dialect, or None."""
    if dialect_name == "postgresql" or fixed_offset_seconds(zone) is not None:
        return None
    epoch = [
        f"{name}.{col}"
        for name in names
        for col, kind in mapping.of(name).timestamps.items()
        if kind in ("epoch", "epoch_ms")
    ]
    return _zone_message(zone, dialect_name, epoch) if epoch else None


# --- Translations as SQL expressions ----------------------------------------------------------------------------


def _sqlite_timestamp(expr, *modifiers):
    """SQLite text 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's own storage format) of a date/time expression."""
    return func.strftime("%Y-%m-%d %H:%M:%f", expr, *modifiers, type_=String).concat("000")


def text_timestamp(col, dialect_name: str):
    """ISO text 'YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]' as a naive timestamp; anything else becomes NULL."""
    as_text = cast(col, String)
    shaped = as_text.regexp_match(ISO_TIMESTAMP)
    if dialect_name == "sqlite":
        # SQLite keeps 2023-02-30 as given and rolls it to 2023-03-02 under a modifier: such a day is invalid.
        real_day = func.date(as_text, "+0 days") == func.substr(as_text, 1, 10)
        return type_coerce(case((and_(shaped, real_day), _sqlite_timestamp(as_text))), DateTime)
    if dialect_name == "postgresql":
        # PostgreSQL raises on 2023-02-30 and would stop the whole query, so the day is checked first.
        month_first = cast(func.substr(as_text, 1, 7).concat("-01"), Date)
        last_day = extract("day", month_first + literal_column("INTERVAL '1 month' - INTERVAL '1 day'"))
        valid_day = cast(func.substr(as_text, 9, 2), Integer) <= last_day
        return case((shaped, case((valid_day, cast(as_text, DateTime)))))
    if dialect_name in ("mysql", "mariadb"):
        return case((shaped, cast(as_text, mysql.DATETIME(fsp=6))))
    return cast(as_text, DateTime)


def epoch_timestamp(col, dialect_name: str, zone: str, unit: str = "epoch"):
    """UTC epoch seconds (or milliseconds) as the naive local time of `zone`; out-of-range values become NULL."""
    per_second = 1000 if unit == "epoch_ms" else 1
    low, high = EPOCH_RANGE
    in_range = and_(col >= low * per_second, col <= high * per_second)
    seconds = col / 1000.0 if per_second == 1000 else col
    if dialect_name == "postgresql":
        value = func.timezone(zone, func.to_timestamp(seconds), type_=DateTime)
        return case((in_range, value))
    offset = fixed_offset_seconds(zone)
    if offset is None:
        raise MappingError([_zone_message(zone, dialect_name, [str(col)])])
    if dialect_name == "sqlite":
        value = _sqlite_timestamp(seconds, "unixepoch", f"{offset:+d} seconds")
        return type_coerce(case((in_range, value)), DateTime)
    if dialect_name in ("mysql", "mariadb"):
        micros = func.round(col * (1_000_000 // per_second)) + offset * 1_000_000
        base = literal_column("TIMESTAMP'1970-01-01 00:00:00'")
        value = func.timestampadd(literal_column("MICROSECOND"), micros, base, type_=DateTime)
        return case((in_range, value))
    raise MappingError([f"epoch timestamps are not supported on {dialect_name}; store them as text or native"])


def text_month(col, dialect_name: str):
    """Text 'YYYY-MM' or 'YYYY-MM-DD...' as the first day of that month; anything else becomes NULL."""
    as_text = cast(col, String)
    first = func.substr(as_text, 1, 7, type_=String).concat("-01")
    shaped = as_text.regexp_match(ISO_MONTH)
    if dialect_name == "sqlite":
        return type_coerce(case((shaped, first)), Date)
    return case((shaped, cast(first, Date)))


def coded(col, labels: dict[str, str]):
    """Labels translated to canonical codes by CASE; an unmapped label passes through unchanged."""
    as_text = cast(col, String)
    return case(labels, value=as_text, else_=as_text)


def score_expr(col, scale: ScoreScale):
    """A review score on the canonical 1..5 scale (see TEN_POINT_CUTS and docs/mapping.md)."""
    if scale.scale == "words":
        as_text = cast(col, String)
        whens = [(as_text == word, n) for word, n in scale.words.items()]
        # An unknown word becomes -1, outside 1..5, so that the bad-row rules count it (bad_score), never drop it.
        return case(*whens, (col.is_not(None), -1), else_=null())
    if scale.scale == "0-10":
        cuts = [(col < cut, n) for n, cut in enumerate(TEN_POINT_CUTS, start=1)]
        # Values outside 0..10 pass through, so that they stay outside 1..5 and count as bad_score.
        return cast(case((col < 0, col), *cuts, (col <= 10, 5), else_=col), Integer)
    return type_coerce(col, Integer)


def column_expr(tm: TableMapping, canon_col, real, dialect_name: str, zone: str):
    """The expression that gives one canonical column from the real table's column `real` (None: NULL)."""
    if real is None:
        # PostgreSQL takes a bare NULL column of a subquery as text, and then to_char() or a comparison with a
        # timestamp fails: times are typed NULLs, yes/no columns integer ones (MySQL has no CAST to boolean). Text
        # stays a bare NULL (MariaDB refuses to mix collations in a UNION).
        if _is_time(canon_col):
            return cast(null(), canon_col.type)
        if isinstance(canon_col.type, Boolean):
            return type_coerce(cast(null(), Integer), canon_col.type)
        return type_coerce(null(), canon_col.type)
    name = canon_col.name
    if name == "score" and tm.score is not None:
        return score_expr(real, tm.score)
    if name in tm.values:
        return coded(real, tm.values[name])
    kind = tm.time_kind(name)
    if kind == "text":
        return text_month(real, dialect_name) if _is_month(canon_col) else text_timestamp(real, dialect_name)
    if kind in ("epoch", "epoch_ms"):
        return epoch_timestamp(real, dialect_name, zone, kind)
    return type_coerce(real, canon_col.type)


def build_canonical(mapping: Mapping, engine_or_dialect, canonical_table, timezone: str, absent=()):
    """A subquery over the real table whose columns carry the canonical names and values of `canonical_table`;
    the `absent` canonical columns (optional ones the source lacks) read as NULL."""
    dialect = getattr(engine_or_dialect, "dialect", engine_or_dialect)
    tm = mapping.of(canonical_table.name)
    schema, real_name = tm.real_table(canonical_table.name)
    real_cols = {c.name: None if c.name in absent else tm.real_column(c.name) for c in canonical_table.columns}
    real = table(real_name, *(column(r) for r in dict.fromkeys(v for v in real_cols.values() if v)), schema=schema)
    exprs = []
    for c in canonical_table.columns:
        source_col = real.c[real_cols[c.name]] if real_cols[c.name] else None
        exprs.append(column_expr(tm, c, source_col, dialect.name, timezone).label(c.name))
    return select(*exprs).select_from(real).subquery(canonical_table.name)


# --- Start-up check against the real databases ---------------------------------------------------------------


def _where(tm: TableMapping, name: str, col: str | None = None) -> str:
    """How a canonical table or column came to be expected: by the mapping, or by its canonical name."""
    target = f"{name}.{col}" if col else name
    renamed = (col in tm.columns) if col else (tm.table is not None)
    return f"mapped to canonical {target}" if renamed else f"canonical {target}, not renamed in the mapping"


def _suggest(name: str, candidates: list[str]) -> str:
    """'; did you mean X?' for a close name, else ''."""
    lowered = {c.lower(): c for c in candidates}
    match = [lowered[name.lower()]] if name.lower() in lowered else difflib.get_close_matches(name, candidates, 1)
    return f"; did you mean {match[0]!r}?" if match else ""


def _type_problem(kind: str, reflected, dialect_name: str) -> str | None:
    """Why a real column's type cannot hold what the mapping says it holds, or None."""
    if isinstance(reflected, sqltypes.NullType):
        return None
    is_number = isinstance(reflected, Integer | Numeric | sqltypes.Float)
    is_text = isinstance(reflected, String)
    if kind in ("epoch", "epoch_ms", "1-5", "0-10") and not is_number:
        return f"is {reflected} but the mapping says {kind} (a number)"
    if kind in ("text", "words") and not is_text:
        return f"is {reflected} but the mapping says {kind} (text)"
    if kind == "native" and dialect_name != "sqlite" and not isinstance(reflected, DateTime | Date):
        return f"is {reflected}, not a date/time type; say text or epoch in timestamps:"
    return None


def _column_kind(tm: TableMapping, canon_col) -> str | None:
    """What the mapping says a real column stores, for the type check (None: nothing to check)."""
    if canon_col.name == "score":
        return tm.score.scale if tm.score is not None else "1-5"
    if _is_time(canon_col):
        return tm.time_kind(canon_col.name)
    return None


def _present_values(conn, real, col: str, sample_rows: int, limit: int) -> list[str]:
    """Distinct non-null values of a real column, as text, within the first `sample_rows` rows."""
    sample = select(real.c[col].label("v")).select_from(real).limit(sample_rows).subquery("sample")
    query = select(cast(sample.c.v, String)).where(sample.c.v.is_not(None)).distinct().limit(limit)
    return sorted(str(v) for v in conn.execute(query).scalars())


def _value_problems(conn, source, name, tm, real, real_cols, sample_rows) -> list[str]:
    """Coded values present in the data that the mapping does not translate to a canonical code."""
    out = []
    canon = canonical_tables()[name][1]
    for c in canon.columns:
        col = real_cols.get(c.name)
        if col is None:
            continue
        if c.name == "score" and tm.score is not None and tm.score.scale == "words":
            known, expected = set(tm.score.words), "a word listed in score.words"
        elif c.name in CODE_SETS:
            labels = tm.values.get(c.name, {})
            known, expected = set(labels) | set(CODE_SETS[c.name]), ", ".join(CODE_SETS[c.name])
        else:
            continue
        present = _present_values(conn, real, col, sample_rows, len(known) + DISTINCT_LIMIT)
        unknown = [v for v in present if v not in known]
        if unknown:
            shown = ", ".join(repr(v) for v in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            out.append(
                f"{source}: table {real.name!r} column {col!r} holds values the mapping does not translate "
                f"(canonical {name}.{c.name} expects {expected}): {shown}"
            )
    return out


def _check_table(conn, source: str, name: str, tm: TableMapping, sample_rows: int) -> list[str]:
    """Problems of one canonical table in its real database: table, columns, types, unmapped values."""
    schema, real_name = tm.real_table(name)
    insp = inspect(conn)
    if schema is not None and schema not in (schemas := insp.get_schema_names()):
        hint = _suggest(schema, schemas)
        return [f"{source}: no schema {schema!r} for table {real_name!r} ({_where(tm, name)}){hint}"]
    if not insp.has_table(real_name, schema=schema):
        names = insp.get_table_names(schema=schema) + insp.get_view_names(schema=schema)
        qualified = f"{schema}.{real_name}" if schema else real_name
        return [f"{source}: no table {qualified!r} ({_where(tm, name)}){_suggest(real_name, names)}"]
    reflected = {c["name"]: c["type"] for c in insp.get_columns(real_name, schema=schema)}
    canon = canonical_tables()[name][1]
    out, real_cols = [], {}
    for c in canon.columns:
        col = tm.real_column(c.name)
        if col is None:
            continue
        if col not in reflected and name == "review" and c.name in OPTIONAL_REVIEW_COLUMNS and c.name not in tm.columns:
            continue  # an optional column the source does not have: "not available from this source"
        if col not in reflected:
            out.append(
                f"{source}: table {real_name!r} has no column {col!r} ({_where(tm, name, c.name)})"
                f"{_suggest(col, list(reflected))}"
            )
            continue
        real_cols[c.name] = col
        kind = _column_kind(tm, c)
        why = _type_problem(kind, reflected[col], conn.dialect.name) if kind else None
        if why:
            out.append(f"{source}: table {real_name!r} column {col!r} ({_where(tm, name, c.name)}) {why}")
    real = table(real_name, *(column(r) for r in dict.fromkeys(real_cols.values())), schema=schema)
    return out + _value_problems(conn, source, name, tm, real, real_cols, sample_rows)


def check_mapping(mapping: Mapping, engines: dict, timezone: str = "Asia/Shanghai", sample_rows: int = SAMPLE_ROWS):
    """Every problem of the mapping against the real databases (engines by source), each naming what to fix."""
    problems: list[str] = []
    for source, names in _tables_by_source().items():
        engine = engines[source]
        zone_problem = _epoch_zone_problem(mapping, names, engine.dialect.name, timezone)
        if zone_problem:
            problems.append(f"{source}: {zone_problem}")
        try:
            with engine.connect():
                pass
        except SQLAlchemyError as exc:
            problems.append(f"{source}: cannot connect to check the mapping: {_reason(exc)}")
            continue
        for name in names:
            try:
                with engine.connect() as conn:  # one connection per table: a failed query spoils no other check
                    problems += _check_table(conn, source, name, mapping.of(name), sample_rows)
            except SQLAlchemyError as exc:
                problems.append(f"{source}: cannot check canonical {name}: {_reason(exc)}")
    return problems


def _reason(exc: SQLAlchemyError) -> str:
    """The first line of a driver error, without the SQL statement."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]


def _tables_by_source() -> dict[str, list[str]]:
    """Canonical table names grouped by the source that holds them."""
    out: dict[str, list[str]] = {}
    for name, (source, _) in canonical_tables().items():
        out.setdefault(source, []).append(name)
    return out


def optional_review_columns(mapping: Mapping | None, engine) -> dict[str, bool]:
    """Which optional review columns (DATA.md) the review source provides: not mapped to null, and present in the
    real table. Raises SQLAlchemyError when the database cannot be asked."""
    tm = (mapping or Mapping()).of("review")
    schema, real_name = tm.real_table("review")
    with engine.connect() as conn:
        insp = inspect(conn)
        present = {c["name"] for c in insp.get_columns(real_name, schema=schema)} if insp.has_table(
            real_name, schema=schema) else set()
    return {name: (real := tm.real_column(name)) is not None and real in present for name in OPTIONAL_REVIEW_COLUMNS}
