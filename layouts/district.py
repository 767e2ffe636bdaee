"""The district page at `/district/<code>`: for now it names the unit and its reference facts."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import t
from dashboard.regions import City, Unit
from layouts.shell import footer, header


def district_layout(
    city: City,
    unit: Unit,
    lang: str,
    pathname: str,
    prefix: str,
    area_km2: float | None,
    as_of: str | None,
    *,
    demo: bool = True,
) -> list:
    """Name, kind, group, population and area of one unit, with a way back."""
    facts = [
        (t("district.kind", lang), t(f"kind.{unit.kind}", lang)),
        (t("district.group", lang), t(f"group.{unit.group}", lang)),
        (t("district.population", lang, year=city.population_year or "—"), f"{unit.population:,}"),
    ]
    if area_km2 is not None:
        facts.append((t("district.area", lang), f"{area_km2:,.0f} {t('unit.km2', lang)}"))
    return [
        header(city, lang, pathname, prefix),
        html.Main(
            [
                dcc.Link("← " + t("district.back", lang), href=f"{prefix}?lang={lang}", className="back-link"),
                html.H2(unit.name(lang), className="district-name", **{"data-code": unit.code}),
                html.Dl(
                    [item for label, value in facts for item in (html.Dt(label), html.Dd(value))], className="facts"
                ),
                html.P(t("district.pending", lang), className="hint"),
            ],
            className="content",
        ),
        footer(city, lang, as_of, demo),
    ]
