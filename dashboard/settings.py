"""Typed settings read once from ONESCREEN_* environment variables (and an optional .env)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dashboard.clock import Clock
from dashboard.workdays import CalendarFileError, Deadlines, deadlines

ENV_PREFIX = "ONESCREEN_"


class SettingsError(Exception):
    """A setting has a value One Screen cannot use; the message says what to set."""


class Settings(BaseSettings):
    """Every setting of One Screen; each field's description is its help text."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8050, ge=1, le=65535, description="TCP port of the web server (1-65535).")
    data_dir: Path = Field(
        Path("data"),
        description="Folder for the embedded default: SQLite source files and generated demo data.",
    )
    city: str = Field(
        "harbin",
        description="City definition: the name of a built-in city (harbin) or a path to a city JSON file.",
    )
    services_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the government-service source. Empty: SQLite file in the data folder.",
    )
    reviews_url: str | None = Field(
        None, description="SQLAlchemy URL of the review source. Empty: SQLite file in the data folder."
    )
    indicators_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the statistics (indicator) source. Empty: SQLite file in the data folder.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for published snapshots (redis://host:6379/0). Empty: the data folder's store.",
    )
    celery_broker_url: str | None = Field(
        None, description="Broker of the Celery refresher (celery_app.py). Empty: ONESCREEN_REDIS_URL."
    )
    redis_prefix: str = Field(
        "onescreen",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Prefix of every Redis key, so that several deployments can share one Redis.",
    )
    users_url: str | None = Field(
        None, description="SQLAlchemy URL of the users, tokens and audit database. Empty: SQLite in the data folder."
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs session cookies (at least 32 characters). Required outside the embedded demo;"
        " the demo keeps a random one in the data folder.",
    )
    session_idle_minutes: int = Field(
        30, ge=1, le=1440, description="Minutes without a request after which a session ends (1-1440)."
    )
    audit_retention_days: int = Field(
        180, ge=180, description="Days the audit log is kept (at least 180, as China's Cybersecurity Law asks)."
    )
    frame_ancestors: str = Field(
        "'none'",
        pattern=r"^[A-Za-z0-9 '.:/*-]+$",
        description="CSP frame-ancestors: who may embed the pages ('none'; or a city portal's origin).",
    )
    language: Literal["zh", "en"] = Field("zh", description="Default UI language: zh or en.")
    timezone: str = Field(
        "Asia/Shanghai",
        description="IANA time zone of the sources' naive timestamps; days and months are cut in it.",
    )
    now: datetime | None = Field(
        None,
        description="A fixed local time taken as now (YYYY-MM-DDTHH:MM:SS), for tests and reproducible screenshots."
        " Empty: the machine's clock.",
    )
    mapping_file: Path | None = Field(
        None,
        description="Mapping of a real database's tables, columns and codes onto the canonical ones (YAML or JSON).",
    )
    rectification_days: int = Field(
        15, ge=1, le=365,
        description="Days allowed to rectify a bad review before it counts as overdue, in the unit of"
        " ONESCREEN_RECTIFICATION_CALENDAR.",
    )
    rectification_calendar: Literal["working", "calendar"] = Field(
        "working",
        description="How review deadlines are counted: working (China's official calendar with its make-up"
        " working days, and ONESCREEN_HOLIDAYS_FILE) or calendar days.",
    )
    visit_days: int = Field(
        1, ge=1, le=365, description="Days allowed for the return visit (回访) after a bad review, same unit."
    )
    holidays_file: Path | None = Field(
        None,
        description="The city's calendar file (YAML or CSV): days off and make-up working days that add to or"
        " override the official calendar, e.g. next year's before a library release has it (docs/metrics.md).",
    )
    dimension_weights: str = Field(
        "",
        description="Weights of the composite index's dimensions, e.g. service=2,satisfaction=1 (unnamed: 1).",
    )
    refresh_seconds: int = Field(
        300, ge=0, description="Seconds between background refreshes in the server; 0 turns the thread off."
    )
    late_window_hours: int = Field(
        48, ge=0, description="Rows dated up to this many hours before the last refresh are re-aggregated."
    )
    source_work_mem: str = Field(
        "64MB",
        pattern=r"^([1-9][0-9]{0,6}(kB|MB|GB))?$",
        description="PostgreSQL sources: work_mem of the refresh's sessions (e.g. 64MB; empty: the server's"
        " default). The default 4MB makes each grouping of a 10M-row refresh sort on disk.",
    )
    # --- wall screen (/wall) ---
    wall_panels: str = Field(
        "map,ranking,trend",
        pattern=r"^\s*(map|ranking|trend)\s*(,\s*(map|ranking|trend)\s*)*$",
        description="Wall screen playlist: panels shown in turn (map, ranking, trend), comma-separated.",
    )
    wall_dwell_seconds: int = Field(20, ge=2, le=3600, description="Seconds each wall panel stays on screen (2-3600).")
    wall_poll_seconds: float = Field(
        15.0, ge=0.1, le=3600, description="Seconds between the wall's checks for a new snapshot (0.1-3600)."
    )
    wall_metric: Literal["requests", "online_share", "on_time_rate", "mean_score", "good_rate", "bad_rate"] = Field(
        "online_share", description="Metric of the wall's map, ranking and balance trend."
    )
    wall_stale_minutes: int = Field(
        30, ge=1, le=10080, description="The wall shows a stale badge when its data is older than this (1-10080 min)."
    )
    wall_bad_rate_alert: float = Field(
        0.08, ge=0.0, le=1.0, description="A unit's bad-review rate this month that takes over the wall (0: off)."
    )
    wall_min_reviews: int = Field(
        30, ge=1, description="Reviews a unit needs this month before its bad-review rate can take over the wall."
    )
    wall_overdue_alert: int = Field(
        20, ge=0, description="Overdue bad reviews in one unit that take over the wall (0: off)."
    )
    alert_webhook_url: str | None = Field(
        None, description="URL that gets a signed JSON POST when an alert begins or ends (empty: none)."
    )
    alert_webhook_secret: str | None = Field(
        None, description="Shared secret that signs each alert POST (HMAC-SHA256); at least 16 characters."
    )
    public_url: str | None = Field(
        None, description="The app's address as people reach it, for links in alert messages (default: host:port)."
    )
    # --- end wall screen ---
    demo_scale: int = Field(
        300_000,
        ge=1_000,
        description="Service requests the embedded default generates on first start (reviews are about 30% of them).",
    )
    demo_seed: int = Field(42, description="Seed of the demo generator: the same seed gives the same data.")
    demo_bad_share: float = Field(
        0.002, ge=0.0, le=0.2, description="Share of demo rows made bad on purpose, of every kind of bad row."
    )
    demo_live: bool = Field(
        True, description="On demo data only: keep appending live rows (requests, reviews ...) while the app runs."
    )
    demo_feed_seconds: int = Field(
        10, ge=1, le=3600, description="Seconds between two steps of the live demo feed (1-3600)."
    )

    @field_validator("services_url", "reviews_url", "indicators_url", "redis_url", "users_url", "secret_key",
                     "celery_broker_url", "alert_webhook_url", "alert_webhook_secret", "public_url",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        """Treat an empty string as 'not set'."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("services_url", "reviews_url", "indicators_url", "users_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str | None) -> str | None:
        """Reject strings SQLAlchemy cannot parse as a database URL."""
        if value is None:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "not a SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db or sqlite:///path.sqlite"
            ) from exc
        return value

    @field_validator("dimension_weights")
    @classmethod
    def _weights(cls, value: str) -> str:
        """name=number pairs over the six dimensions, each weight >= 0."""
        parse_weights(value)
        return value

    @property
    def weights(self) -> dict[str, float]:
        """The composite index's dimension weights (1 where not set)."""
        return parse_weights(self.dimension_weights)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """Accept only time zones the zone database knows."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone, e.g. Asia/Shanghai") from exc
        return value

    @field_validator("now", mode="before")
    @classmethod
    def _empty_now_is_none(cls, value):
        """Treat an empty time as 'use the machine's clock'."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("now")
    @classmethod
    def _naive_local(cls, value: datetime | None) -> datetime | None:
        """A fixed now is a local time in `timezone`, without an offset."""
        if value is not None and value.tzinfo is not None:
            raise ValueError("give a local time without an offset, e.g. 2026-06-15T10:30:00")
        return value

    def clock(self) -> Clock:
        """A clock for these settings: the city's time zone, fixed where `now` is set."""
        return Clock(self.timezone, self.now)

    @field_validator("mapping_file", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value):
        """Treat an empty mapping path as 'no mapping'."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("mapping_file")
    @classmethod
    def _mapping_exists(cls, value: Path | None) -> Path | None:
        """A mapping file that is named must exist."""
        if value is not None and not value.is_file():
            raise ValueError("no such file")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        """Accept only URLs redis-py understands."""
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: str | None) -> str | None:
        """A signing key long enough not to be guessed."""
        if value is not None and len(value) < 32:
            raise ValueError("at least 32 characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))'")
        return value

    @model_validator(mode="after")
    def _signed_alerts(self):
        """An alert webhook is always signed, with a secret long enough to matter."""
        if self.alert_webhook_url and (not self.alert_webhook_secret or len(self.alert_webhook_secret) < 16):
            raise ValueError("ONESCREEN_ALERT_WEBHOOK_SECRET (at least 16 characters) is required with "
                             "ONESCREEN_ALERT_WEBHOOK_URL: the receiver checks each message's signature with it")
        return self

    @model_validator(mode="after")
    def _readable_holidays_file(self):
        """A city calendar file that cannot be read stops the start with the line that is wrong."""
        if self.holidays_file is not None and self.rectification_calendar == "working":
            try:
                self.deadlines()
            except CalendarFileError as exc:
                raise ValueError(f"ONESCREEN_HOLIDAYS_FILE: {exc}") from None
        return self

    @model_validator(mode="after")
    def _secret_outside_the_demo(self):
        """Outside the embedded demo, sessions must be signed with a key the operator sets."""
        if not self.embedded and self.secret_key is None:
            raise ValueError(
                "ONESCREEN_SECRET_KEY is required outside the embedded demo (at least 32 characters), e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return self

    def alert_rules(self) -> dict:
        """The wall's alert thresholds, as dashboard.wall.alerts takes them."""
        return {"bad_rate_alert": self.wall_bad_rate_alert, "min_reviews": self.wall_min_reviews,
                "overdue_alert": self.wall_overdue_alert}

    def deadlines(self) -> Deadlines:
        """The review rules' deadlines (rectification and return visit) on the configured calendar."""
        return deadlines(self.rectification_days, self.visit_days, self.rectification_calendar, self.holidays_file)

    def users_database(self) -> str:
        """The users database URL (SQLite in the data folder by default)."""
        return self.users_url or f"sqlite:///{(self.data_dir / 'users.sqlite').resolve()}"

    def source_url(self, source: str) -> str:
        """The URL of one source (services, reviews, indicators), defaulting to SQLite in the data folder."""
        value = getattr(self, f"{source}_url")
        return value or f"sqlite:///{(self.data_dir / f'{source}.sqlite').resolve()}"

    @property
    def embedded(self) -> bool:
        """True when every source is the default SQLite file (demo data may be generated)."""
        return not (self.services_url or self.reviews_url or self.indicators_url)


DIMENSION_NAMES = ("service", "satisfaction", "openness", "infrastructure", "talent", "security")


def parse_weights(text: str) -> dict[str, float]:
    """'service=2, talent=0.5' -> {'service': 2.0, 'talent': 0.5}; a ValueError says what is wrong."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, number = part.partition("=")
        name = name.strip()
        if name not in DIMENSION_NAMES:
            raise ValueError(f"{name!r} is not a dimension ({', '.join(DIMENSION_NAMES)})")
        try:
            weight = float(number)
        except ValueError:
            raise ValueError(f"weight of {name} must be a number, e.g. {name}=2") from None
        if not weight >= 0:
            raise ValueError(f"weight of {name} must be 0 or more")
        weights[name] = weight
    if weights and not any(w > 0 for w in {**dict.fromkeys(DIMENSION_NAMES, 1.0), **weights}.values()):
        raise ValueError("at least one dimension needs a weight above 0")
    return weights


def env_name(field: str) -> str:
    """The environment variable that sets a field."""
    return ENV_PREFIX + field.upper()


def load_settings(**overrides) -> Settings:
    """Read settings from the environment; raise SettingsError naming each variable to fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            if not err["loc"]:  # a rule across settings: its message names the variables
                lines.append(f"  {err['msg'].removeprefix('Value error, ')}")
                continue
            field = str(err["loc"][0])
            info = Settings.model_fields.get(field)
            hint = f" ({info.description})" if info is not None else ""
            given = "<hidden>" if field == "secret_key" else repr(err.get("input"))  # never print a secret
            lines.append(f"  {env_name(field)}={given}: {err['msg']}.{hint}")
        raise SettingsError("One Screen cannot start; set these environment variables:\n" + "\n".join(lines)) from None
