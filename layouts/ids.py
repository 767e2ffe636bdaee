"""Component ids, shared by layouts and callbacks so that a typo fails at import."""

URL = "url"
PAGE = "page"
ERROR = "error-message"

OVERVIEW_METRIC = "overview-metric"
OVERVIEW_MAP = "overview-map"
OVERVIEW_RANKING = "overview-ranking"
OVERVIEW_AS_OF = "overview-as-of"
