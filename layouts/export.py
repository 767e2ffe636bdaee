"""Export links: CSV and XLSX beside every panel, and the whole page as a zip (hrefs kept current by
callbacks.export as the page's filters change)."""

from __future__ import annotations

from dash import html

from dashboard.i18n import t
from layouts import ids


def export_href(prefix: str, page: str, panel: str, fmt: str, query: str = "", code: str | None = None) -> str:
    """The export route of a panel (or of the whole page, panel '_all') with the page's query."""
    base = f"{prefix}export/{page}" + (f"/{code}" if code else "")
    path = f"{base}.zip" if panel == ids.EXPORT_ALL else f"{base}/{panel}.{fmt}"
    return path + (query if query.startswith("?") or not query else "?" + query)


# Each page's export slots (where links sit on the page) and the panel (answer) each one downloads.
SLOTS = {
    "overview": {"map": "unit_values", "ranking": "unit_values", "city_value": "city_value", "lorenz": "lorenz",
                 "trend": "balance_trend", "decomposition": "balance_trend", "profile": "profile",
                 "composite": "composite", "quarterly_ranking": "quarterly_ranking"},
    "district": {"standing": "standing", "composite": "composite", "trends": "trends", "processing": "processing",
                 "departments": "departments", "items": "items", "pareto_bad": "pareto_bad",
                 "pareto_late": "pareto_late", "channel_mix": "channel_mix",
                 "channel_satisfaction": "channel_satisfaction", "open_bad": "open_bad",
                 "rectification": "rectification", "rectification_departments": "rectification_departments"},
    "quality": {"by_reason": "counts", "by_month": "counts", "listing": "listing", "summary": "summary"},
}


def slot_href(prefix: str, page: str, slot: str, fmt: str, query: str = "", code: str | None = None) -> str:
    """The href of an export link by its slot."""
    panel = ids.EXPORT_ALL if slot == ids.EXPORT_ALL else SLOTS[page][slot]
    return export_href(prefix, page, panel, fmt, query, code)


def export_links(prefix: str, page: str, slot: str, lang: str, query: str = "", code: str | None = None):
    """'CSV · XLSX' links for the panel in one slot."""
    links = []
    for fmt in ("csv", "xlsx"):
        links.append(html.A(fmt.upper(), id=ids.export_link(page, slot, fmt), className="export-link",
                            href=slot_href(prefix, page, slot, fmt, query, code),
                            title=t("export.title", lang, fmt=fmt.upper())))
    return html.Span(links, className="export-links")


def page_export(prefix: str, page: str, lang: str, query: str = "", code: str | None = None):
    """The whole page as a zip: one CSV per panel and a datapackage.json."""
    return html.A(t("export.page", lang), id=ids.export_link(page, ids.EXPORT_ALL, "zip"),
                  className="export-link page-export", href=export_href(prefix, page, ids.EXPORT_ALL, "zip", query,
                                                                        code))
