"""The composition root's parts, shared by the web app (app.py) and the command line (cli.py): settings, city,
sources, snapshot store and runtime, built one way wherever they are needed."""

from __future__ import annotations

import logging
import secrets
import sys

from dashboard.access import ROLES
from dashboard.regions import City, load_boundaries, load_city
from dashboard.runtime import Runtime
from dashboard.settings import Settings, load_settings
from dashboard.snapshot import SnapshotReader, open_store
from dashboard.users import UserStore
from data_sources.embedded import prepare_embedded, sources_for
from data_sources.mapping import MappingError
from data_sources.sql import SqlSources

log = logging.getLogger("onescreen")

# Errors that stop start-up with their message (exit status 2), whatever the entry point.
STARTUP_ERRORS: tuple[type[Exception], ...]


def settings_and_city() -> tuple[Settings, City]:
    """Settings from the environment and the city they name."""
    settings = load_settings()
    return settings, load_city(settings.city)


def sources(settings: Settings, city: City, *, prepare: bool = False) -> SqlSources:
    """The sources the settings name; with `prepare`, the embedded default is created and filled with demo data
    on first start. A mapping file that does not match the sources stops here with every mismatch."""
    found = prepare_embedded(settings, city) if prepare and settings.embedded else sources_for(settings)
    if settings.mapping_file is not None:
        problems = found.check()
        if problems:
            found.dispose()
            intro = f"One Screen cannot start: the mapping file {settings.mapping_file} does not match the sources:"
            raise MappingError(problems, intro)
    return found


def describe_review_columns(found: SqlSources) -> str:
    """'visited_at yes, real_name no, …': which optional review columns the review source provides."""
    return ", ".join(f"{name} {'yes' if there else 'no'}" for name, there in found.optional_columns().items())


def store(settings: Settings):
    """The snapshot store the settings name (Redis, or the data folder's)."""
    return open_store(settings.redis_url, settings.redis_prefix, settings.data_dir)


def secret_key(settings: Settings) -> str:
    """The session-signing key: the setting, or on the embedded demo a random one kept in the data folder."""
    if settings.secret_key is not None:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def demo_accounts(settings: Settings, users: UserStore, city: City) -> None:
    """On the embedded demo's first start, one account per role with a random password, printed once."""
    if not settings.embedded or users.list():
        return
    lines = []
    for role in ROLES:
        password = secrets.token_urlsafe(12)
        units = city.codes[:1] if role == "manager" else ()
        users.add(f"demo-{role}", role, password, units, now=settings.clock().now())
        lines.append(f"  demo-{role:<10} {password}   ({role}{', ' + units[0] if units else ''})")
    print("One Screen, first start: demo accounts (shown once; python -m dashboard users to manage):\n"
          + "\n".join(lines), file=sys.stderr)


def alert_sink(settings: Settings, city: City):
    """What a refresher calls with alert events once it has published: the signed webhook, or None when
    ONESCREEN_ALERT_WEBHOOK_URL is not set."""
    if not settings.alert_webhook_url:
        return None
    from dashboard.webhook import AlertWebhook

    link_base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return AlertWebhook(settings.alert_webhook_url, settings.alert_webhook_secret, city, link_base,
                        settings.clock()).send


def refresh_with_settings(settings: Settings, city: City, found: SqlSources, snapshots, *, full: bool = False,
                          progress=None) -> int | None:
    """dashboard.refresh.refresh at the clock's now with the settings' rectification days, late window, alert
    rules and alert sink: the one way a refresher process (the CLI, the Celery task) refreshes."""
    from dashboard.refresh import refresh

    return refresh(found, snapshots, city, settings.clock().now(), deadlines=settings.deadlines(),
                   late_hours=settings.late_window_hours, full=full, progress=progress,
                   alert_rules=settings.alert_rules(), on_alert_events=alert_sink(settings, city))


def live_feed(settings: Settings, city: City, found: SqlSources):
    """The live demo feed's step (called with "now"), or None: only with ONESCREEN_DEMO_LIVE on and sources
    marked as demo data (anything else is never written to)."""
    if not settings.demo_live:
        return None
    from data_sources.feed import Feed, is_demo

    if not is_demo(found):
        return None
    return Feed(found, city, settings.demo_seed).step


def build_runtime(settings: Settings, *, worker: bool = False) -> Runtime:
    """City, boundaries, sources, snapshot store and users named by the settings. A single-process server
    (`worker=False`) also prepares the embedded demo and makes a first snapshot; a web worker under gunicorn does
    neither (gunicorn.conf.py prepares once, before the workers start, and one refresher publishes)."""
    city = load_city(settings.city)
    geojson = load_boundaries(city)
    found = sources(settings, city, prepare=not worker)
    snapshots = store(settings)
    users = UserStore(settings.users_database())
    if not worker:
        demo_accounts(settings, users, city)
    runtime = Runtime(settings, city, geojson, found, snapshots, SnapshotReader(snapshots), users=users,
                      alert_sink=None if worker else alert_sink(settings, city),
                      feed_step=None if worker else live_feed(settings, city, found))
    if runtime.feed_step is not None:
        runtime.feed_step(runtime.clock.now())  # the demo's data runs up to this moment (and fills any gap)
    if not worker:
        try:
            empty = snapshots.current_version() is None
        except Exception as exc:  # noqa: BLE001 - a store that is down at start: serve once it answers
            log.error("snapshot store unreachable at start (%s); no first refresh, the refresher retries", exc)
            empty = False
        if empty:
            runtime.refresh_now()
    runtime.reader.get()  # hold the current snapshot from the start: a worker serves it even if the store goes down
    return runtime


def prepare(settings: Settings) -> None:
    """Before web workers start: the embedded demo's data, accounts, signing key and a first snapshot, once."""
    build_runtime(settings).sources.dispose()
    secret_key(settings)


def _startup_errors() -> tuple[type[Exception], ...]:
    from dashboard.regions import CityError
    from dashboard.settings import SettingsError

    return SettingsError, CityError, MappingError


STARTUP_ERRORS = _startup_errors()
