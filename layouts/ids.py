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
