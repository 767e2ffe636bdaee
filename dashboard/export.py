"""Renderers of answers into files: CSV (UTF-8 with a BOM), XLSX (data and provenance sheets) and a zip of a
whole page with a Frictionless `datapackage.json`. Never a second computation: the rows are the answer's.

Cells are neutralised against formula injection (OWASP "CSV Injection"): a text cell that starts with
`=`, `+`, `-`, `@`, a tab, CR or LF, also after leading spaces or quotes, gets a leading `'`. Numbers stay
numbers. Rounding: files carry the answers' values unrounded; the screen formats them (docs/export.md).
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from dashboard.answers import Answer
from dashboard.metrics import CATALOGUE

DANGEROUS = re.compile(r"^[\s'\"]*[=+\-@\t\r\n]")
BOM = "\ufeff"

# Meaning of the answer columns that are not catalogue metrics: (zh, en).
COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("区县编码（city 为全市）", "Unit code ('city' for the whole city)"),
    "unit": ("区县编码，或本区县的值", "Unit code, or this unit's value"),
    "name_zh": ("中文名称", "Name in Chinese"),
    "name_en": ("英文名称", "Name in English"),
    "group": ("均衡分组：core 核心城区、outer 外围城区、county 县（市）", "Balance group: core, outer or county"),
    "value": ("所选指标的值", "Value of the chosen metric"),
    "units": ("参与计算的区县数", "Number of units behind the figure"),
    "period": ("期间（YYYY、YYYY-MM，或一周的周一 YYYY-MM-DD）", "Period (YYYY, YYYY-MM, or a week's Monday)"),
    "metric": ("指标代码", "Metric code"),
    "series": ("序列：unit 本区县、city 全市、group_median 同组中位数", "Series: unit, city or group_median"),
    "population_share": ("人口（或区县）累计占比", "Cumulative share of population (or units)"),
    "value_share": ("指标值累计占比", "Cumulative share of the metric"),
    "gini": ("基尼系数", "Gini coefficient"),
    "theil": ("泰尔T指数", "Theil T index"),
    "theil_between": ("泰尔指数组间部分", "Theil T between groups"),
    "theil_within": ("泰尔指数组内部分", "Theil T within groups"),
    "composite": ("综合指数（0–100）", "Composite index (0-100)"),
    "rank": ("排名（1为最好）", "Rank (1 is best)"),
    "change": ("排名较上期变化（正数为上升）", "Change of rank since the previous period (up is positive)"),
    "quarter": ("季度（YYYY-Qn）", "Quarter (YYYY-Qn)"),
    "previous_quarter": ("上一季度（YYYY-Qn）", "The quarter before (YYYY-Qn)"),
    "previous_composite": ("上一季度的综合指数（0–100）", "Composite index (0-100) in the quarter before"),
    "previous_rank": ("上一季度的全市排名（1为最好）", "City-wide rank in the quarter before (1 is best)"),
    "rank_change": ("名次较上一季度变化（上季度名次减本季度名次，正数为上升）",
                    "Change of rank since the quarter before (previous rank minus rank; up is positive)"),
    "composite_change": ("综合指数较上一季度变化", "Change of the composite index since the quarter before"),
    "dimension": ("维度", "Dimension"),
    "city": ("全市的值", "The city's value"),
    "group_median": ("同组区县中位数", "Median of the unit's group"),
    "group_rank": ("组内排名（1为最好）", "Rank within the group (1 is best)"),
    "group_units": ("组内参与排名的区县数", "Units ranked within the group"),
    "department_code": ("部门编码", "Department code"),
    "item_code": ("服务事项编码", "Service item code"),
    "item_zh": ("事项中文名称", "Item name in Chinese"),
    "item_en": ("事项英文名称", "Item name in English"),
    "count": ("条数", "Count"),
    "share": ("占比", "Share"),
    "cumulative_share": ("累计占比", "Cumulative share"),
    "channel": ("渠道：web、app、window、self_service、hotline", "Channel: web, app, window, self_service, hotline"),
    "review_id": ("评价编号", "Review id"),
    "score": ("评分（1–5）", "Score (1-5)"),
    "created_at": ("评价时间（本地时间）", "When given (local time)"),
    "due_at": ("整改期限（本地时间）", "Rectification due (local time)"),
    "days_left": ("距期限天数（负数为逾期）", "Days to the deadline at the as-of time (negative: overdue)"),
    "overdue": ("是否逾期", "Overdue"),
    "bad": ("差评数", "Bad reviews"),
    "open": ("未整改差评数", "Open bad reviews"),
    "requests": ("办件量", "Requests"),
    "tile": ("指标卡", "Tile"),
    "window": ("时间窗", "Window"),
    "start": ("起始日", "First day"),
    "end": ("截止日", "Last day"),
    "previous_start": ("对比期起始日", "First day compared with"),
    "previous_end": ("对比期截止日", "Last day compared with"),
    "current": ("本期值", "Current value"),
    "previous": ("对比期值", "Value compared with"),
    "delta": ("变化", "Change"),
    "change_kind": ("变化的单位：relative 相对、pp 百分点、points 分", "Kind of change: relative, pp, points"),
    "better": ("是否向好", "Better"),
    "kind": ("预警类型", "Alert kind"),
    "threshold": ("预警阈值", "Alert threshold"),
    "since": ("预警开始时间（首次发现该预警的刷新）", "Alert since (the refresh that first found it)"),
    "reviews": ("评价数", "Reviews"),
    "table": ("数据表", "Table"),
    "reason": ("原因", "Reason"),
    "month": ("月份", "Month"),
    "rows": ("行数", "Rows"),
    "source": ("数据源", "Source"),
    "row_id": ("编号", "Id"),
    "district_code": ("区县编码", "Unit code"),
    "time": ("时间", "Time"),
    "row": ("原始数据", "Row as stored"),
}


def describe(column: str) -> tuple[str, str]:
    """A column's meaning in zh and en: from the catalogue for a metric, from COLUMNS otherwise."""
    for prefix, (zh, en) in (("city_", ("全市同口径：", "The city's, same key: ")), ("gap_", (
            "本区县减全市：", "This unit minus the city: "))):
        if column.startswith(prefix):
            inner_zh, inner_en = describe(column.removeprefix(prefix))
            return zh + inner_zh, en + inner_en
    if column in CATALOGUE:
        m = CATALOGUE[column]
        return f"{m.definition_zh}（{m.unit_zh}）", f"{m.definition_en} ({m.unit_en})"
    if column.startswith("units_"):
        return "报送该指标的区县数", "Units that report the indicator"
    return COLUMNS.get(column, (column, column))


def safe_text(value: str) -> str:
    """A text cell neutralised against formula injection."""
    return "'" + value if DANGEROUS.match(value) else value


def cell(value):
    """A value as a file cell: numbers and times typed, NaN empty, text neutralised."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return safe_text(value)
    return value


def field_type(series: pd.Series) -> str:
    """The Frictionless field type of a column."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "string"


def csv_bytes(answer: Answer) -> bytes:
    """The answer's rows as CSV: UTF-8 with a BOM (Excel in a Chinese locale), neutralised, unrounded."""
    frame = answer.rows.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d %H:%M:%S")
        elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):  # text of any dtype
            frame[col] = frame[col].map(lambda v: safe_text(v) if isinstance(v, str) else v)
    text = frame.to_csv(index=False, lineterminator="\r\n", float_format=None)
    return (BOM + text).encode("utf-8")


def about_rows(answer: Answer) -> list[tuple[str, str, str]]:
    """The provenance sheet: (field, value, value in the other language where it differs)."""
    prov = answer.provenance
    rows = [
        ("panel 面板", prov.panel, ""),
        ("period 期间", prov.period or "", ""),
        ("filters 筛选", json.dumps(prov.filters, ensure_ascii=False, default=str), ""),
        ("data as of 数据时点", prov.as_of, ""),
        ("snapshot version 快照版本", str(prov.version), ""),
        ("scope 范围", ", ".join(prov.scope), ""),
        ("source 来源", "One Screen aggregates of the city's source databases (一屏观城汇总数据)", ""),
        ("notes 说明", json.dumps(prov.notes, ensure_ascii=False, default=str), ""),
        ("rounding 取整", "values unrounded; the screen formats them (docs/export.md)",
         "数值未取整，屏幕显示时按格式取整"),
    ]
    rows.append(("", "", ""))
    rows.append(("column 列", "definition (zh) 中文定义", "definition (en) 英文定义"))
    rows += [(col, *describe(col)) for col in answer.rows.columns]
    return rows


def xlsx_bytes(answer: Answer) -> bytes:
    """The answer as a workbook: a typed data sheet and an 'about' sheet with provenance and definitions."""
    from openpyxl import Workbook

    book = Workbook()
    data = book.active
    data.title = "data"
    data.append(list(answer.rows.columns))
    for record in answer.rows.itertuples(index=False):
        data.append([cell(v) for v in record])
    for column in data.iter_cols(min_row=2):
        for c in column:
            if isinstance(c.value, datetime):
                c.number_format = "yyyy-mm-dd" if c.value == datetime.combine(c.value.date(), time()) and isinstance(
                    c.value, datetime) else "yyyy-mm-dd hh:mm:ss"
    data.freeze_panes = "A2"
    about = book.create_sheet("about")
    for row in about_rows(answer):
        about.append([safe_text(v) if isinstance(v, str) else v for v in row])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 60
    about.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def datapackage(name: str, answers: dict[str, Answer]) -> dict:
    """A Frictionless Data Package descriptor of a page's panels, one CSV resource each."""
    resources = []
    for panel, answer in answers.items():
        fields = [
            {"name": col, "type": field_type(answer.rows[col]), "description": " / ".join(describe(col))}
            for col in answer.rows.columns
        ]
        prov = answer.provenance
        resources.append({
            "name": panel.replace("_", "-"),
            "path": f"{panel}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "description": f"{prov.panel}; period {prov.period or '—'}; as of {prov.as_of}; version {prov.version}",
            "schema": {"fields": fields},
        })
    first = next(iter(answers.values()), None)
    return {
        "name": name,
        "title": f"One Screen export: {name}",
        "created": first.provenance.as_of.replace(" ", "T") if first else None,
        "version": str(first.provenance.version) if first else None,
        "resources": resources,
    }


def zip_bytes(name: str, answers: dict[str, Answer]) -> bytes:
    """A page's panels as one CSV each plus datapackage.json."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for panel, answer in answers.items():
            archive.writestr(f"{panel}.csv", csv_bytes(answer))
        archive.writestr("datapackage.json", json.dumps(datapackage(name, answers), ensure_ascii=False, indent=2,
                                                        default=_json_default))
    return buffer.getvalue()


def _json_default(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
