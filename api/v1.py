"""The aggregates API under /api/v1: units, metrics per unit and period, balance indices, the quarterly ranking of
the composite index, data-quality counts.

Typed query and response models (pydantic) drive validation and the OpenAPI 3 document at
/api/v1/openapi.json, through flask-openapi3 (chosen because it builds on the pydantic models and settings the
app already uses, plugs into the plain Flask server Dash runs on, and needs no UI assets from a CDN; APIFlask
would bring marshmallow as a second model layer). Every route answers through the request's pinned view and the
panels' answer functions, with the same validation as the pages: JSON by default, CSV with `format=csv`,
streamed; an `ETag` of the snapshot version answers a repeat with 304.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Literal

import flask
import numpy as np
import pandas as pd
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from callbacks.context import current_view
from dashboard import export
from dashboard.access import AccessDenied
from dashboard.answers import Answer
from dashboard.answers import metrics as metric_answers
from dashboard.answers import overview as overview_answers
from dashboard.answers import quality as quality_answers
from dashboard.answers import ranking as ranking_answers
from dashboard.errors import BadInput
from dashboard.metrics import CATALOGUE, OVERVIEW_METRICS
from dashboard.quality import REASONS, all_reasons
from dashboard.view import Scope

TAG = Tag(name="aggregates", description="One Screen's aggregates, as the pages show them")
CHUNK_ROWS = 2_000


class Query(BaseModel):
    """Parameters every route takes."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["json", "csv"] = Field("json", description="json (default) or csv (UTF-8 with a BOM)")


class MetricsQuery(Query):
    granularity: Literal["month", "year"] = Field("month", description="Periods of a month (YYYY-MM) or a year")
    period: str | None = Field(None, max_length=7, description="One period (YYYY or YYYY-MM); all when absent")
    unit: str | None = Field(None, max_length=12, description="One unit code or 'city'; all units and the city "
                                                               "when absent")
    metrics: str | None = Field(None, max_length=2_000,
                                description="Comma-separated metric codes; every metric when absent")


class BalanceQuery(Query):
    metric: Literal[tuple(OVERVIEW_METRICS)] = Field(description="A metric the overview offers")  # type: ignore[valid-type]
    granularity: Literal["month", "year"] = Field("month", description="Indices per month or per year")


class RankingQuery(Query):
    quarter: str | None = Field(None, max_length=7, pattern=r"^\d{4}-Q[1-4]$",
                                description="A quarter YYYY-Qn the data has; the latest complete quarter when absent")


class QualityQuery(Query):
    table: Literal[("all", *REASONS)] = Field("all", description="A fact table, or all")  # type: ignore[valid-type]
    reason: Literal[("all", *all_reasons())] = Field("all", description="A bad-row reason, or all")  # type: ignore[valid-type]


class Meta(BaseModel):
    """Where the rows came from."""

    version: int = Field(description="Snapshot version (also the ETag)")
    as_of: str = Field(description="Data as of (the city's local time)")
    scope: list[str] = Field(description="Unit codes the caller may see")
    filters: dict = Field(default_factory=dict)
    notes: dict = Field(default_factory=dict)


class Unit(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    group: str
    population: int


class UnitsResponse(BaseModel):
    meta: Meta
    rows: list[Unit]


MetricRow = create_model(
    "MetricRow",
    unit=(str, Field(description="Unit code, or 'city'")),
    period=(str, Field(description="YYYY-MM or YYYY")),
    **{key: (float | None, Field(None, description=m.definition_en)) for key, m in CATALOGUE.items()},
)


class MetricsResponse(BaseModel):
    meta: Meta
    rows: list[MetricRow]  # type: ignore[valid-type]


class BalanceRow(BaseModel):
    period: str
    gini: float | None
    theil: float | None
    theil_between: float | None
    theil_within: float | None


class BalanceResponse(BaseModel):
    meta: Meta
    rows: list[BalanceRow]


class RankingRow(BaseModel):
    code: str
    name_zh: str
    name_en: str
    group: str
    quarter: str = Field(description="YYYY-Qn")
    composite: float | None = Field(description="Composite index (0-100) of the quarter; null: no index")
    rank: float | None = Field(description="Rank among every unit of the city (1 is best; equal indices share the "
                                           "lowest rank); null: not ranked")
    previous_quarter: str = Field(description="The calendar quarter before")
    previous_composite: float | None
    previous_rank: float | None
    rank_change: float | None = Field(description="Previous rank minus rank (positive: moved up)")
    composite_change: float | None = Field(description="Index minus the previous quarter's index")


class RankingResponse(BaseModel):
    meta: Meta
    rows: list[RankingRow]


class QualityRow(BaseModel):
    source: str
    table: str
    reason: str
    month: str = Field(description="YYYY-MM, or '' for rows with no usable date")
    rows: int


class QualityResponse(BaseModel):
    meta: Meta
    rows: list[QualityRow]


class ErrorResponse(BaseModel):
    error: str
    parameter: str | None = None


ERRORS = {400: ErrorResponse, 404: ErrorResponse}


def validation_error(exc: ValidationError):
    """A 400 naming the first parameter at fault."""
    first = exc.errors()[0]
    parameter = ".".join(str(p) for p in first.get("loc", ())) or None
    message = "unknown parameter" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
    body = {"error": f"{parameter}: {message}" if parameter else message, "parameter": parameter}
    return flask.Response(json.dumps(body, ensure_ascii=False), status=400, mimetype="application/json")


def bad_request(exc: BadInput):
    text = str(exc)
    parameter = text.split(":", 1)[0] if ":" in text else None
    return flask.Response(json.dumps({"error": text, "parameter": parameter}, ensure_ascii=False), status=400,
                          mimetype="application/json")


def _records(frame: pd.DataFrame) -> Iterator[str]:
    """A frame's rows as JSON objects in chunks: numbers exact (Python's shortest round-trip text; pandas'
    to_json would keep 10 digits), NaN as null, times as ISO text."""
    columns = list(frame.columns)
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start:start + CHUNK_ROWS]
        rows = [dict(zip(columns, map(_plain, record))) for record in part.itertuples(index=False)]
        yield json.dumps(rows, ensure_ascii=False, default=_json_value)[1:-1]


def _plain(value):
    """A cell as a JSON value (text as it is: JSON is not a spreadsheet, nothing to neutralise)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _json_value(value):
    return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()


def respond(answer: Answer, fmt: str):
    """An answer as a streamed JSON or CSV response with the snapshot version as its ETag (304 on a repeat)."""
    prov = answer.provenance
    etag = f"{prov.version}-{scope_key(prov.scope)}"  # the version, and whose rows: never a 304 across scopes
    if flask.request.if_none_match.contains(etag):
        response = flask.Response(status=304)
        response.set_etag(etag)
        return response
    if fmt == "csv":
        body = export.csv_bytes(answer)
        response = flask.Response(
            (body[i:i + 65_536] for i in range(0, len(body), 65_536)), mimetype="text/csv; charset=utf-8"
        )
    else:
        meta = Meta(version=prov.version, as_of=prov.as_of, scope=list(prov.scope), filters=prov.filters,
                    notes=prov.notes).model_dump_json()

        def stream() -> Iterator[str]:
            yield '{"meta":' + meta + ',"rows":['
            first = True
            for chunk in _records(answer.rows):
                if chunk:
                    yield ("" if first else ",") + chunk
                    first = False
            yield "]}"

        response = flask.Response(stream(), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie, Authorization"
    return response


def scope_key(units) -> str:
    return Scope(frozenset(units)).key[:8]


def view_or_503():
    view = current_view()
    if view is None:
        flask.abort(503)
    return view


def blueprint(url_prefix: str) -> APIBlueprint:
    """The API's routes under `url_prefix` (the app's routes prefix + 'api/v1')."""
    api = APIBlueprint("api_v1", __name__, url_prefix=url_prefix, abp_tags=[TAG], abp_responses=ERRORS)

    @api.get("/units", summary="The city's units in the caller's scope", responses={200: UnitsResponse})
    def units(query: Query):
        view = view_or_503()
        return respond(metric_answers.units(view), query.format)

    @api.get("/metrics", summary="Every metric per unit and period, and the city's",
             responses={200: MetricsResponse})
    def metrics(query: MetricsQuery):
        view = view_or_503()
        try:
            answer = metric_answers.metric_rows(view, query.granularity, query.period, query.unit, query.metrics)
        except BadInput as exc:
            return bad_request(exc)
        return respond(answer, query.format)

    @api.get("/balance", summary="Gini and Theil T of a metric over time, with Theil's between/within parts",
             responses={200: BalanceResponse})
    def balance(query: BalanceQuery):
        return respond(overview_answers.balance(view_or_503(), query.metric, query.granularity), query.format)

    @api.get("/ranking", summary="The quarterly ranking (季度综合排名) of the composite index, with the change since "
             "the previous quarter", responses={200: RankingResponse})
    def quarterly_ranking(query: RankingQuery):
        view = view_or_503()
        try:
            answer = ranking_answers.quarterly_ranking(view, ranking_answers.parse(view, query.quarter))
        except BadInput as exc:
            return bad_request(exc)
        return respond(answer, query.format)

    @api.get("/quality", summary="Bad source rows per table, reason and month", responses={200: QualityResponse})
    def quality(query: QualityQuery):
        view = view_or_503()
        try:
            answer = quality_answers.counts(view, quality_answers.parse(query.table, query.reason))
        except AccessDenied as exc:
            return flask.jsonify({"error": str(exc)}), 403
        return respond(answer, query.format)

    return api
