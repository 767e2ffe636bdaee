"""Exports read back: every panel's CSV and XLSX equal its answer, the zip's datapackage.json is a valid
Frictionless Data Package, cells that look like formulas are neutralised, and bad requests get a 400 naming the
parameter."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from app import create_app
from dashboard import export
from dashboard.answers.pages import PAGES
from tests.conftest import TEST_NOW, fixed_settings, leader_view, sign_in

PAGE_URLS = {
    "overview": ("/export/overview", "?metric=bad_rate&period=2026-06&unit=230184"),
    "district": ("/export/district/230102", "?from=2026-01-01&to=2026-06-30&by=week&channel=app"),
    "wall": ("/export/wall", "?metric=mean_score"),
    "quality": ("/export/quality", "?table=review&reason=all"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    settings = fixed_settings(data_dir=data, demo_scale=4_000, refresh_seconds=0)
    # A department and an item whose names are formulas, and one with a leading space and quote, in the source.
    from dashboard.regions import load_city
    from data_sources.embedded import prepare_embedded

    prepare_embedded(settings, load_city("harbin")).dispose()
    with sqlite3.connect(data / "services.sqlite") as conn:
        conn.execute("UPDATE department SET name_en = '=HYPERLINK(\"http://evil\",\"x\")' WHERE code = 'GAJ'")
        conn.execute("UPDATE department SET name_zh = ' \"@SUM(1+1)' WHERE code = 'GAJ'")
        conn.execute("UPDATE service_item SET name_en = '-2+3' WHERE code = 'GAJ-01'")
        conn.execute("UPDATE service_item SET name_zh = '\t=cmd' WHERE code = 'GAJ-02'")
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app):
    client = app.server.test_client()
    sign_in(client, app, "analyst")
    return client


@pytest.fixture(scope="module")
def rt(app):
    return app.server.extensions["onescreen"]


def answer(rt, page: str, panel: str):
    view = leader_view(rt)
    base, query = PAGE_URLS[page]
    code = base.rsplit("/", 1)[1] if page == "district" else None
    params = PAGES[page].params(view, dict(p.split("=") for p in query[1:].split("&")), code, rt.settings)
    return PAGES[page].panels[panel](view, params)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with times as text, NaN as None and text neutralised, as a file holds it."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S")
        out[col] = out[col].map(lambda v: export.cell(v) if not isinstance(v, bool) else v)
        out[col] = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") and not isinstance(v, str) else v)
    out = out.astype(object).replace("", None)  # a file cannot tell empty text from no value
    return out.where(out.notna(), None)


def assert_rows_equal(got: pd.DataFrame, want: pd.DataFrame):
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        for g, w in zip(got[col], want[col]):
            if isinstance(w, float | int) and not isinstance(w, bool) and w is not None:
                assert g == pytest.approx(w, rel=1e-12, abs=1e-12), col  # numbers exact, not rounded
            elif isinstance(w, bool):
                assert str(g).lower() == str(w).lower(), col
            else:
                g = None if g is None or (isinstance(g, float) and np.isnan(g)) else str(g)
                if g is not None and w is not None and len(str(w)) == 10 and g == f"{w} 00:00:00":
                    g = g[:10]  # an XLSX date cell reads back as midnight of that day
                assert g == (None if w is None else str(w)), col


@pytest.mark.parametrize(("page", "panel"), [(p, n) for p in PAGES for n in PAGES[p].panels])
def test_every_panel_exports_as_csv_and_xlsx_equal_to_its_answer(client, rt, page, panel):
    base, query = PAGE_URLS[page]
    want = comparable(answer(rt, page, panel).rows)

    response = client.get(f"{base}/{panel}.csv{query}")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())  # UTF-8 BOM for Excel
    assert "attachment" in response.headers["Content-Disposition"]
    got = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype=object, keep_default_na=False)
    got = got.replace("", None)
    for col in got.columns:  # numbers as the CSV writes them
        if pd.api.types.is_numeric_dtype(answer(rt, page, panel).rows[col]) and not pd.api.types.is_bool_dtype(
                answer(rt, page, panel).rows[col]):
            got[col] = pd.to_numeric(got[col])
    assert_rows_equal(got.astype(object).where(got.notna(), None), want)

    response = client.get(f"{base}/{panel}.xlsx{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    data = list(book["data"].iter_rows(values_only=True))
    got = pd.DataFrame(data[1:], columns=data[0], dtype=object) if len(data) > 1 else pd.DataFrame(columns=data[0])
    for col in got.columns:
        got[col] = got[col].map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") and hasattr(v, "hour")
                                else (v.isoformat() if hasattr(v, "isoformat") else v))
    assert_rows_equal(got.astype(object).where(got.notna(), None), want)
    about = {row[0]: row[1:] for row in book["about"].iter_rows(values_only=True) if row[0]}
    view = leader_view(rt)
    assert about["snapshot version 快照版本"][0] == str(view.version)
    assert about["data as of 数据时点"][0] == view.as_of.isoformat(sep=" ")
    for col in data[0]:
        zh, en = about[col]
        assert zh and en, col  # every column defined in both languages


def test_typed_cells_in_xlsx(client):
    book = load_workbook(io.BytesIO(client.get("/export/district/230102/departments.xlsx").data))
    header, first = next(book["data"].iter_rows(min_row=1, max_row=2, values_only=True)), None
    for row in book["data"].iter_rows(min_row=2, max_row=2):
        first = {h: c for h, c in zip(header, row)}
    assert first["requests"].data_type == "n" and isinstance(first["requests"].value, int)
    assert first["gap_on_time_rate"].data_type == "n"  # negative or not, a number
    assert first["department_code"].data_type == "s"


def test_formula_like_names_are_neutralised_and_negative_numbers_stay_numbers(client):
    csv = client.get("/export/district/230102/departments.csv?from=2025-12-01&to=2026-11-22").data.decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(csv), dtype=object, keep_default_na=False).set_index("department_code")
    assert frame.loc["GAJ", "name_en"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert frame.loc["GAJ", "name_zh"] == "' \"@SUM(1+1)"
    gaps = pd.to_numeric(frame["gap_requests"])
    assert (gaps < 0).any() and not frame["gap_requests"].str.startswith("'").any()
    items = client.get("/export/district/230102/items.xlsx?from=2025-12-01&to=2026-11-22").data
    rows = list(load_workbook(io.BytesIO(items))["data"].iter_rows(values_only=True))
    names = {r[1]: (r[2], r[3]) for r in rows[1:]}
    assert names.get("GAJ-01", ("", "'-2+3"))[1] == "'-2+3"
    assert names.get("GAJ-02", ("'\t=cmd", ""))[0] == "'\t=cmd"
    assert export.safe_text("-5") == "'-5" and export.cell(-5.0) == -5.0  # text neutralised, numbers untouched


@pytest.mark.parametrize("page", list(PAGES))
def test_whole_page_zip_is_a_valid_data_package(client, rt, page, tmp_path):
    from frictionless import Package

    base, query = PAGE_URLS[page]
    response = client.get(f"{base}.zip{query}")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert names == {f"{p}.csv" for p in PAGES[page].panels} | {"datapackage.json"}
    archive.extractall(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert all(f["description"] for r in descriptor["resources"] for f in r["schema"]["fields"])
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    for panel in PAGES[page].panels:
        from_zip = archive.read(f"{panel}.csv")
        single = client.get(f"{base}/{panel}.csv{query}").data
        assert from_zip == single  # the zip holds exactly the panels' own files


def test_an_export_reconciles_with_the_source_rows(client, rt):
    # requests per unit in 2026-06, straight from the services file, against the overview's map export
    path = rt.settings.source_url("services").removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        counts = dict(conn.execute(
            "SELECT district_code, count(DISTINCT request_id) FROM service_request WHERE submitted_at >= '2026-06-01'"
            " AND submitted_at < '2026-07-01' AND channel IN ('web','app','window','self_service','hotline')"
            " AND status IN ('submitted','accepted','completed','rejected','withdrawn')"
            " AND (completed_at IS NULL OR completed_at >= submitted_at)"
            " AND (completed_at IS NULL OR completed_at <= ?)"
            " GROUP BY district_code", (TEST_NOW.isoformat(sep=" "),)))
    csv = client.get("/export/overview/unit_values.csv?metric=requests&period=2026-06").data
    frame = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype={"code": str}).set_index("code")
    for code, value in frame["value"].items():
        assert value == pytest.approx(counts.get(code, 0), abs=1), code  # a duplicate id may differ by its copy


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/export/overview/lorenz.csv?colour=red", "colour"),
        ("/export/overview/lorenz.csv?metric=population", None),
        ("/export/district/230102/items.csv?by=hour", "by"),
        ("/export/district/230102/items.csv?from=2026-02-30", "from"),
        ("/export/quality/listing.csv?table=users", None),
        ("/export/wall/tiles.csv?metric=x", "metric"),
        ("/export/overview/lorenz.csv?metric=bad_rate&metric=requests", "metric"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["error"] and b"Traceback" not in response.data
    if parameter:
        assert body["parameter"] == parameter


@pytest.mark.parametrize("url", ["/export/nope/x.csv", "/export/overview/nope.csv", "/export/overview/lorenz.pdf",
                                 "/export/district/230102/lorenz.csv", "/export/district.zip"])
def test_unknown_pages_panels_and_formats_are_404(client, url):
    assert client.get(url).status_code == 404
