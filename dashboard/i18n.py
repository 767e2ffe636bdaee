"""Text of the UI in Chinese (default) and English: one table, one lookup."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

# key: (Chinese, English). Placeholders use str.format names.
TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("一屏观城", "One Screen"),
    "app.tagline": ("{city}区县均衡发展一屏观", "{city}: how balanced are its districts and counties"),
    "app.demo_notice": (
        "演示数据：人口为{year}年普查数，其余数据为合成数据，不代表真实情况。",
        "Demo data: population from the {year} census; everything else is synthetic and not real.",
    ),
    "nav.overview": ("全市总览", "City overview"),
    "nav.language": ("English", "中文"),
    "overview.metric": ("指标", "Metric"),
    "overview.map_title": ("各区县{metric}", "{metric} by unit"),
    "overview.ranking_title": ("{metric}排名", "Ranking: {metric}"),
    "overview.click_hint": ("点击地图或排名中的区县查看详情", "Click a unit on the map or in the ranking to open it"),
    "metric.population": ("常住人口", "Resident population"),
    "metric.area_km2": ("面积", "Area"),
    "metric.density": ("人口密度", "Population density"),
    "unit.persons": ("人", "persons"),
    "unit.km2": ("平方公里", "km²"),
    "unit.per_km2": ("人/平方公里", "persons/km²"),
    "group.core": ("核心城区", "Core districts"),
    "group.outer": ("外围城区", "Outer districts"),
    "group.county": ("县（市）", "Counties"),
    "kind.district": ("市辖区", "District"),
    "kind.county": ("县", "County"),
    "kind.county_city": ("县级市", "County-level city"),
    "district.back": ("返回全市总览", "Back to the city overview"),
    "district.kind": ("类型", "Kind"),
    "district.group": ("均衡分组", "Balance group"),
    "district.population": ("常住人口（{year}年）", "Residents ({year})"),
    "district.area": ("面积", "Area"),
    "district.pending": ("本区县的指标明细将在此展示。", "This unit's local metrics will appear here."),
    "error.not_found": ("页面不存在：{path}", "No such page: {path}"),
    "error.unknown_unit": ("没有编码为 {code} 的区县。", "There is no unit with code {code}."),
    "error.no_data": ("数据尚未就绪，请稍后刷新。", "No data yet; refresh in a moment."),
    "data.as_of": ("数据截至 {as_of}", "Data as of {as_of}"),
    "nav.quality": ("数据质量", "Data quality"),
    "quality.title": ("数据质量：被隔离的问题数据", "Data quality: quarantined source rows"),
    "quality.explain": (
        "问题数据不参与任何统计，仅在此计数并留存备查。每行只按第一条违反的规则计一次。",
        "Bad rows are left out of every figure; they are counted here and kept for inspection. "
        "A row is counted once, under the first rule it breaks.",
    ),
    "quality.checked_at": ("检查时间 {at}", "Checked at {at}"),
    "quality.by_reason": ("按原因统计", "By reason"),
    "quality.over_time": ("按月统计（按数据行自身日期）", "By month (of the row's own date)"),
    "quality.no_date": ("无日期", "no date"),
    "quality.listing": ("问题数据明细（每类最新 {n} 行）", "Bad rows (newest {n} of each kind)"),
    "quality.filter_table": ("数据表", "Table"),
    "quality.filter_reason": ("原因", "Reason"),
    "quality.all": ("全部", "All"),
    "quality.none": ("没有问题数据。", "No bad rows."),
    "quality.rows": ("行数", "Rows"),
    "col.source": ("数据源", "Source"),
    "col.table": ("数据表", "Table"),
    "col.reason": ("原因", "Reason"),
    "col.row_id": ("编号", "Id"),
    "col.district_code": ("区县编码", "Unit code"),
    "col.time": ("时间", "Time"),
    "col.row": ("原始数据", "Row as stored"),
    "table.service_request": ("办件", "Service requests"),
    "table.review": ("好差评", "Reviews"),
    "table.district_indicator": ("区县指标", "District indicators"),
    "reason.unknown_unit": ("未知区县编码", "Unknown unit code"),
    "reason.unknown_code": ("未知代码值", "Unknown code value"),
    "reason.bad_score": ("评分不在1–5", "Score outside 1–5"),
    "reason.bad_value": ("指标值无效", "Invalid indicator value"),
    "reason.null_time": ("时间为空", "Missing timestamp"),
    "reason.future_time": ("时间在未来", "Timestamp in the future"),
    "reason.completed_before_submitted": ("办结早于申请", "Completed before submitted"),
    "reason.rectified_before_created": ("整改早于评价", "Rectified before the review"),
    "reason.duplicate_id": ("重复编号", "Duplicate id"),
}


def normalise(lang: str | None, default: str = "zh") -> str:
    """A supported language code; anything else falls back to the default."""
    return lang if lang in LANGUAGES else default


def t(key: str, lang: str, **values) -> str:
    """The text for a key in a language, with placeholders filled."""
    zh, en = TEXT[key]
    text = en if normalise(lang) == "en" else zh
    return text.format(**values) if values else text
