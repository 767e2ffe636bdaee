"""Command line: `python -m dashboard serve | demo | refresh | check`.

The CLI is an edge of the system like app.py and is wired the same way (wiring.py), so that `dashboard` itself
stays free of dash and of any source implementation; `dashboard/__main__.py` only calls `main`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date, timedelta

import wiring
from dashboard.access import ROLES
from dashboard.users import UserError
from data_sources.mapping import MappingError


def _progress(label: str, done: int, total: int) -> None:
    """One updating line per step on a terminal, plain lines otherwise."""
    end = "\n" if done >= total or not sys.stderr.isatty() else "\r"
    pct = 100 * done / total if total else 100
    print(f"{label:<28} {done:>12,} / {total:,} ({pct:5.1f}%)", end=end, file=sys.stderr, flush=True)


def cmd_demo(args) -> int:
    """Replace the sources' data with deterministic synthetic data for the city; print rows and bad rows. With
    --live, keep appending live rows to sources already marked as demo data instead (refusing any other)."""
    from data_sources.demo import run_demo

    settings, city = wiring.settings_and_city()
    sources = wiring.sources(settings, city)
    if args.live:
        return demo_live(settings, city, sources, args.every)
    result = run_demo(
        sources,
        city,
        scale=args.scale or settings.demo_scale,
        seed=settings.demo_seed if args.seed is None else args.seed,
        end=args.end or settings.clock().today() - timedelta(days=1),
        bad_share=settings.demo_bad_share if args.bad_share is None else args.bad_share,
        progress=_progress,
    )
    sources.dispose()
    print("Synthetic demo data written (all invented except the units' census population):")
    for table, rows in result.rows.items():
        print(f"  {table:<22}{rows:>12,} rows")
    print("Bad rows injected on purpose (docs/demo-data.md):")
    for (table, reason), rows in result.bad.items():
        print(f"  {table:<22}{reason:<28}{rows:>8,}")
    return 0


def demo_live(settings, city, sources, every: int) -> int:
    """The live demo feed against the sources (demo databases on real servers, too) every EVERY seconds."""
    import time

    from dashboard.logs import configure_logging
    from dashboard.refresh import run_every
    from data_sources.feed import Feed, FeedRefused

    configure_logging(settings)
    try:
        feed = Feed(sources, city, settings.demo_seed)
    except FeedRefused as exc:
        print(f"demo --live refused: {exc}", file=sys.stderr)
        return 2
    clock = settings.clock()
    try:
        run_every(lambda: feed.step(clock.now()) is not None, every, lambda s: time.sleep(s) or False,
                  fatal=(FeedRefused,))
    except KeyboardInterrupt:
        return 0
    except FeedRefused as exc:
        print(f"demo --live refused: {exc}", file=sys.stderr)
        return 2
    return 0


def refresh_once(args) -> int:
    """Refresh the snapshot the server reads (the data folder's store, or Redis) and say what happened: exit 0
    when a version was published, 1 when not (a source failed, or another refresh is running)."""
    code, _failed = _refresh_round(args)
    return code


def _refresh_round(args, quiet: bool = False) -> tuple[int, bool]:
    """One refresh: (exit code, whether it failed). Another refresher holding the lock is not a failure. `quiet`:
    no progress or summary lines (the refresher's JSON log lines say it)."""
    import time

    settings, city = wiring.settings_and_city()
    sources = wiring.sources(settings, city, prepare=True)
    store = wiring.store(settings)
    started = time.perf_counter()

    def step(label: str) -> None:
        if not quiet:
            print(f"  {time.perf_counter() - started:7.2f}s  {label}", file=sys.stderr, flush=True)

    try:
        version = wiring.refresh_with_settings(settings, city, sources, store, full=args.full, progress=step)
    finally:
        sources.dispose()
    if version is None:
        failure = store.last_failure()
        reason = failure["reason"] if failure else "another refresh is running"
        if not quiet:
            print(f"refresh did not publish: {reason}", file=sys.stderr)
        return 1, failure is not None
    if quiet:
        return 0, False
    meta = store.current().meta
    print(f"published version {version} ({meta['kind']}, {meta['duration_s']} s, store {store.backend})", flush=True)
    return 0, False


def cmd_refresh(args) -> int:
    """One refresh, or with --every a refresh every SECONDS until stopped (the one refresher beside every web
    worker). A failed round (a source or the store down) is retried with backoff; the loop never exits on one."""
    import time

    from dashboard.logs import configure_logging
    from dashboard.refresh import run_every

    if not args.every:
        return refresh_once(args)
    if args.every < 1:
        print("--every needs at least 1 second", file=sys.stderr)
        return 2
    settings, _city = wiring.settings_and_city()
    configure_logging(settings)

    feed = None
    if settings.embedded and settings.demo_live:
        feed = wiring.live_feed(settings, _city, wiring.sources(settings, _city, prepare=True))

    def step() -> bool:
        if feed is not None:
            feed(settings.clock().now())  # the embedded demo moves on (make serve): its rows, then the refresh
        _code, failed = _refresh_round(args, quiet=True)
        args.full = False  # only the first round may be full
        return not failed

    try:
        run_every(step, args.every, lambda seconds: time.sleep(seconds) or False, fatal=wiring.STARTUP_ERRORS)
    except KeyboardInterrupt:
        return 0
    except wiring.STARTUP_ERRORS as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def cmd_check(args) -> int:
    """Print bad-row counts per source and reason, and the first rows of the listing."""
    from data_sources.quality import format_report

    settings, city = wiring.settings_and_city()
    try:
        sources = wiring.sources(settings, city)
    except MappingError as exc:
        print(exc)
        return 1
    if settings.mapping_file is not None:
        print(f"Mapping {settings.mapping_file}: matches the sources")
    print(f"Optional review columns provided: {wiring.describe_review_columns(sources)}")
    print(format_report(sources, city, settings.clock().now(), limit=args.limit))
    return 0


def _store():
    from dashboard.users import UserStore

    settings, city = wiring.settings_and_city()
    return settings, city, UserStore(settings.users_database())


def _units(city, codes) -> list[str]:
    unknown = [c for c in codes or [] if city.unit(c) is None]
    if unknown:
        raise UserError(f"no unit {unknown[0]!r} in {city.code}")
    return list(codes or [])


def cmd_users(args) -> int:
    """users add|list|disable|enable|set-role|grant|revoke|password; every change is audited."""
    settings, city, store = _store()
    now = settings.clock().now()
    actor = f"cli:{getpass.getuser()}"
    if args.action == "list":
        for u in store.list():
            state = "disabled" if u.disabled else ("locked" if u.locked_until and u.locked_until > now else "active")
            print(f"{u.name:<24}{u.role:<10}{state:<10}{','.join(u.units)}")
        return 0
    if args.action in ("add", "password"):
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
        if args.action == "add":
            store.add(args.name, args.role, password, _units(city, args.unit), now=now)
        else:
            store.set_password(args.name, password)
    elif args.action == "disable":
        store.disable(args.name)
    elif args.action == "enable":
        store.enable(args.name)
    elif args.action == "set-role":
        store.set_role(args.name, args.role)
    elif args.action == "grant":
        store.grant(args.name, _units(city, args.unit))
    elif args.action == "revoke":
        store.revoke(args.name, _units(city, args.unit))
    what = f"{args.action} {args.name}" + (f" role={args.role}" if getattr(args, "role", None) else "")
    store.record(now, actor, "user_change", what, "cli", args.unit or [])
    print(f"{args.action}: {args.name}")
    return 0


def cmd_tokens(args) -> int:
    """tokens create|list|revoke: read-only wall-screen tokens."""
    settings, city, store = _store()
    now = settings.clock().now()
    actor = f"cli:{getpass.getuser()}"
    if args.action == "list":
        for row in store.list_tokens():
            state = "revoked" if row["revoked"] else ("expired" if row["expires_at"] <= now else "active")
            print(f"{row['name']:<24}{state:<9}expires {row['expires_at']:%Y-%m-%d}  units {row['units']}")
        return 0
    if args.action == "create":
        token = store.create_token(args.name, _units(city, args.unit), days=args.days, now=now)
        store.record(now, actor, "token_change", f"create {args.name} days={args.days}", "cli", args.unit or [])
        print(f"token {args.name} (shown once; open /wall?token=…):\n{token}")
        return 0
    store.revoke_token(args.name)
    store.record(now, actor, "token_change", f"revoke {args.name}", "cli", [])
    print(f"revoked: {args.name}")
    return 0


def cmd_audit(args) -> int:
    """audit [--limit N] [--prune]: the newest audit rows; --prune deletes those past the retention."""
    settings, _, store = _store()
    if args.prune:
        print(f"pruned {store.prune_audit(settings.clock().now(), settings.audit_retention_days)} rows")
    for row in store.audit_rows(args.limit):
        print(f"{row['at']:%Y-%m-%d %H:%M:%S}  {row['who']:<20}{row['action']:<14}{row['source']:<16}"
              f"{row['what'][:80]}  [{row['scope'][:40]}]")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command and run it; a bad setting ends with its message and exit status 2."""
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="One Screen command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the dashboard with the settings from the environment")
    demo = sub.add_parser("demo", help="write deterministic synthetic data for the city into the sources")
    demo.add_argument("--scale", type=int, help="service requests to generate (default ONESCREEN_DEMO_SCALE)")
    demo.add_argument("--seed", type=int, help="random seed (default ONESCREEN_DEMO_SEED)")
    demo.add_argument("--end", type=date.fromisoformat, help="last day of data, YYYY-MM-DD (default yesterday)")
    demo.add_argument("--bad-share", type=float, help="share of bad rows (default ONESCREEN_DEMO_BAD_SHARE)")
    demo.add_argument("--live", action="store_true",
                      help="append live rows to sources already filled by `demo` (refuses any other), until stopped")
    demo.add_argument("--every", type=int, default=10, metavar="SECONDS", help="seconds between live steps")
    refresh = sub.add_parser("refresh", help="aggregate the sources and publish a new snapshot")
    refresh.add_argument("--full", action="store_true", help="re-aggregate everything, not just recent rows")
    refresh.add_argument("--every", type=int, metavar="SECONDS",
                         help="keep refreshing every SECONDS (the one refresher beside gunicorn workers)")
    check = sub.add_parser("check", help="count bad source rows per source and reason and list some")
    check.add_argument("--limit", type=int, default=20, help="rows of the listing to print")
    users = sub.add_parser("users", help="manage users: add, list, disable, enable, set-role, grant, revoke, password")
    users.add_argument("action", choices=["add", "list", "disable", "enable", "set-role", "grant", "revoke",
                                          "password"])
    users.add_argument("name", nargs="?", default="")
    users.add_argument("--role", choices=ROLES)
    users.add_argument("--unit", action="append", help="a unit code (repeat for several)")
    users.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    tokens = sub.add_parser("tokens", help="wall-screen tokens: create, list, revoke")
    tokens.add_argument("action", choices=["create", "list", "revoke"])
    tokens.add_argument("name", nargs="?", default="")
    tokens.add_argument("--unit", action="append", help="limit the token to a unit (repeat for several)")
    tokens.add_argument("--days", type=int, default=180, help="days until the token expires (default 180)")
    audit = sub.add_parser("audit", help="print the audit log (newest first)")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--prune", action="store_true", help="delete rows older than ONESCREEN_AUDIT_RETENTION_DAYS")
    args = parser.parse_args(argv)
    if args.command in ("users", "tokens") and args.action not in ("list",) and not args.name:
        parser.error(f"{args.command} {args.action} needs a NAME")
    if args.command == "users" and args.action in ("add", "set-role") and not args.role:
        parser.error(f"users {args.action} needs --role ({', '.join(ROLES)})")

    try:
        if args.command == "serve":
            import app  # the composition root lives beside dashboard/

            return app.main()
        commands = {"demo": cmd_demo, "check": cmd_check, "refresh": cmd_refresh, "users": cmd_users,
                    "tokens": cmd_tokens, "audit": cmd_audit}
        return commands[args.command](args)
    except wiring.STARTUP_ERRORS as exc:
        print(exc, file=sys.stderr)
        return 2
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
