"""The frame every page shares: location, header with navigation and language switch, error line."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import t
from dashboard.regions import City
from layouts import ids


def root_layout() -> html.Div:
    """The app's layout: the URL and the slot the router fills."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            html.Div(id=ids.ERROR, className="error-line", role="alert"),
            html.Div(id=ids.PAGE, className="page"),
        ]
    )


def header(city: City, lang: str, pathname: str, prefix: str) -> html.Header:
    """Title, tagline, link to the overview and a link that switches the language of this page."""
    other = "en" if lang == "zh" else "zh"
    return html.Header(
        [
            html.Div(
                [
                    html.H1(t("app.title", lang), className="brand"),
                    html.Span(t("app.tagline", lang, city=city.name(lang)), className="tagline"),
                ],
                className="brand-block",
            ),
            html.Nav(
                [
                    dcc.Link(t("nav.overview", lang), href=f"{prefix}?lang={lang}", className="nav-link"),
                    dcc.Link(t("nav.quality", lang), href=f"{prefix}quality?lang={lang}", className="nav-link"),
                    html.A(  # a full load: every part of the page is drawn anew in the other language
                        t("nav.language", lang),
                        href=f"{pathname}?lang={other}",
                        className="nav-link lang-switch",
                        id="lang-switch",
                    ),
                    html.A(t("nav.logout", lang), href=f"{prefix}logout", className="nav-link", id="logout"),
                ],
                className="nav",
            ),
        ],
        className="app-header",
    )


def footer(city: City, lang: str, as_of: str | None, demo: bool = True) -> html.Footer:
    """How fresh the data is, and on the embedded demo a notice that the data is synthetic."""
    parts = (
        [html.Span(t("app.demo_notice", lang, year=city.population_year or "—"), className="demo-notice")]
        if demo
        else [html.Span()]
    )
    if as_of:
        parts.append(html.Span(t("data.as_of", lang, as_of=as_of), id=ids.OVERVIEW_AS_OF, className="as-of"))
    return html.Footer(parts, className="app-footer")


def message_page(city: City, lang: str, pathname: str, prefix: str, message: str) -> list:
    """A page that only says something (not found, no data yet)."""
    return [
        header(city, lang, pathname, prefix),
        html.Main(html.P(message, className="message"), className="content"),
    ]
