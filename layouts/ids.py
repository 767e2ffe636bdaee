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
OVERVIEW_CITY_VALUE = "overview-city-value"
OVERVIEW_LORENZ = "overview-lorenz"
OVERVIEW_TREND = "overview-trend"
OVERVIEW_VERDICT = "overview-verdict"
OVERVIEW_DECOMPOSITION = "overview-decomposition"
OVERVIEW_PROFILE = "overview-profile"
OVERVIEW_COMPOSITE = "overview-composite"
OVERVIEW_LORENZ_EXPLAIN = "overview-lorenz-explain"

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
WALL_NOTES = "wall-notes"


def wall_panel(name: str) -> str:
    """The id of one rotating wall panel (map, ranking, trend); assets/wall.js builds the same."""
    return f"wall-panel-{name}"
# --- end wall screen ---
