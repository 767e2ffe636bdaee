"""Component ids, shared by layouts and callbacks so that a typo fails at import."""

URL = "url"
PAGE = "page"
ERROR = "error-message"

OVERVIEW_METRIC = "overview-metric"
OVERVIEW_MAP = "overview-map"
OVERVIEW_RANKING = "overview-ranking"
OVERVIEW_AS_OF = "overview-as-of"

QUALITY_TABLE = "quality-table"
QUALITY_REASON = "quality-reason"
QUALITY_BY_REASON = "quality-by-reason"
QUALITY_BY_MONTH = "quality-by-month"
QUALITY_GRID = "quality-grid"
QUALITY_SUMMARY = "quality-summary"

OVERVIEW_PERIOD = "overview-period"
OVERVIEW_UNIT = "overview-unit"
OVERVIEW_URL = "overview-url"  # the overview's own view of the URL: its metric, period and unit live in the query
OVERVIEW_NOTE = "overview-note"

EXPORT = "export"
EXPORT_ALL = "_all"


def export_link(page: str, panel: str, fmt: str) -> dict:
    """Pattern-matching id of an export link (panel EXPORT_ALL with fmt 'zip': the whole page)."""
    return {"type": EXPORT, "page": page, "panel": panel, "fmt": fmt}


DISTRICT_URL = "district-url"
DISTRICT_DATES = "district-dates"
DISTRICT_BY = "district-by"
DISTRICT_DEPARTMENT = "district-department"
DISTRICT_CHANNEL = "district-channel"
DISTRICT_NOTE = "district-note"
DISTRICT_STANDING = "district-standing"
DISTRICT_COMPOSITE = "district-composite"
DISTRICT_DEPARTMENTS = "district-departments"
DISTRICT_ITEMS = "district-items"
DISTRICT_PARETO_BAD = "district-pareto-bad"
DISTRICT_PARETO_LATE = "district-pareto-late"
DISTRICT_CHANNEL_MIX = "district-channel-mix"
DISTRICT_CHANNEL_SCORE = "district-channel-score"
DISTRICT_OPEN_BAD = "district-open-bad"
DISTRICT_OPEN_BAD_NOTE = "district-open-bad-note"
DISTRICT_RECTIFICATION = "district-rectification"
DISTRICT_RECT_DEPARTMENTS = "district-rect-departments"
DISTRICT_TREND_METRICS = ("requests", "online_share", "on_time_rate", "mean_score", "bad_rate", "median_hours",
                          "p90_hours")


def district_trend(metric: str) -> str:
    """Id of the district page's trend graph of one metric."""
    return f"district-trend-{metric}"
OVERVIEW_CITY_VALUE = "overview-city-value"
OVERVIEW_LORENZ = "overview-lorenz"
OVERVIEW_TREND = "overview-trend"
OVERVIEW_VERDICT = "overview-verdict"
OVERVIEW_DECOMPOSITION = "overview-decomposition"
OVERVIEW_PROFILE = "overview-profile"
OVERVIEW_COMPOSITE = "overview-composite"
OVERVIEW_LORENZ_EXPLAIN = "overview-lorenz-explain"
OVERVIEW_QUARTER = "overview-quarter"  # the quarterly ranking's quarter (its `quarter` lives in the URL's query)
OVERVIEW_QUARTERLY = "overview-quarterly"
OVERVIEW_QUARTERLY_NOTE = "overview-quarterly-note"

# --- wall screen (/wall) ---
WALL_ROOT = "wall"
WALL_VIEWPORT = "wall-viewport"
WALL_VERSION = "wall-version"
WALL_DRAWN = "wall-drawn"
WALL_POLL = "wall-poll"
WALL_CLOCK = "wall-clock"
WALL_AS_OF = "wall-as-of"
WALL_BADGE = "wall-badge"
WALL_TILES = "wall-tiles"
WALL_STAGE = "wall-stage"
WALL_MAP = "wall-map"
WALL_RANKING = "wall-ranking"
WALL_TREND = "wall-trend"
WALL_VERDICT = "wall-verdict"
WALL_ALERT = "wall-alert"
WALL_RAIL = "wall-rail"
WALL_NOTES = "wall-notes"


def wall_panel(name: str) -> str:
    """The id of one rotating wall panel (map, ranking, trend); assets/wall.js builds the same."""
    return f"wall-panel-{name}"
# --- end wall screen ---
