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
}


def normalise(lang: str | None, default: str = "zh") -> str:
    """A supported language code; anything else falls back to the default."""
    return lang if lang in LANGUAGES else default


def t(key: str, lang: str, **values) -> str:
    """The text for a key in a language, with placeholders filled."""
    zh, en = TEXT[key]
    text = en if normalise(lang) == "en" else zh
    return text.format(**values) if values else text
