"""Login, sessions, wall tokens, access on every path that returns data, security headers, CSRF and audit.

One decision (dashboard.access.decide) per request, from the session's user (or wall token) as the users
database says *now*: a disabled user, a revoked or expired token or a changed grant takes effect on the next
request. Pages without a session redirect to /login; callbacks, exports and the API answer 401 (no session) or
403 (not allowed). docs/security.md describes the model.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections import Counter, defaultdict
from datetime import timedelta
from typing import ClassVar
from urllib.parse import quote, urlencode, urlsplit

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage
from markupsafe import escape

from dashboard.access import AccessDenied, require
from dashboard.i18n import normalise, t

log = logging.getLogger("onescreen.auth")

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
# Paths anyone may fetch: Dash's own scripts and layout shell, the CSS, the boundaries, health, login itself.
PUBLIC_PREFIXES = ("_dash-component-suites/", "_dash-layout", "_dash-dependencies", "assets/", "_favicon.ico",
                   "boundaries.geojson", "health", "login", "logout", "_reload-hash")
LOGIN_LIMIT = "10 per minute"  # login attempts per client address
DATA_PREFIXES = {"_dash-update-component": "view", "export/": "export", "api/v1/": "api"}


class LocalLimitStorage(MemoryStorage):
    """limits' in-process storage with its expiry timers as daemon threads. The library's own timers are not
    daemon threads, and a timed wait the process clock misreads (under faketime) kept the process from exiting.
    Used when no Redis is set; with Redis the counts live there."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["onescreen-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self.storage = Counter()
        self.locks = defaultdict(threading.RLock)
        self.expirations = {}
        self.events = {}
        self.timer = self._daemon_timer()
        super(MemoryStorage, self).__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _daemon_timer(self) -> threading.Timer:
        timer = threading.Timer(0.01, self._MemoryStorage__expire_events)
        timer.daemon = True
        timer.start()
        return timer

    def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private hook, by its mangled name
        if not self.timer.is_alive():
            self.timer = self._daemon_timer()


def client_address() -> str:
    return (flask.request.remote_addr or "?")[:64]


def audit(rt, who: str, action: str, what: str, scope=()) -> None:
    """One audit row; a failure to write it is logged (without the row's content) and never breaks the request."""
    try:
        rt.users.record(rt.clock.now(), who, action, what, client_address(), scope)
    except Exception:
        log.exception("audit record failed for action %s", action)


def login_page(lang: str, message: str = "", next_path: str = "/", status: int = 200):
    """The login form, in the page's language."""
    other = "en" if lang == "zh" else "zh"
    token = flask.session.setdefault("login_csrf", secrets.token_urlsafe(24))
    body = f"""<!doctype html><html lang="{lang}"><meta charset="utf-8">
<title>{escape(t("login.title", lang))}</title>
<link rel="stylesheet" href="{flask.request.script_root}/assets/style.css">
<main class="login"><h1>{escape(t("app.title", lang))}</h1><h2>{escape(t("login.title", lang))}</h2>
<p class="error-line" role="alert">{escape(message)}</p>
<form method="post" action="login?{escape(urlencode({"lang": lang, "next": next_path}))}">
<input type="hidden" name="csrf" value="{escape(token)}">
<label for="username">{escape(t("login.username", lang))}</label>
<input id="username" name="username" autocomplete="username" required maxlength="64">
<label for="password">{escape(t("login.password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">{escape(t("login.submit", lang))}</button></form>
<p><a href="login?{escape(urlencode({"lang": other, "next": next_path}))}">{escape(t("nav.language", lang))}</a></p>
</main></html>"""
    return flask.Response(body, status=status, mimetype="text/html")


def same_secret(expected: str, given: str) -> bool:
    """A constant-time comparison of two tokens that refuses, rather than fails on, any text (compare_digest
    raises on a str with non-ASCII characters: a forged form field must get a 400, not a 500)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def safe_next(value: str | None, prefix: str) -> str:
    """A redirect target inside this app only (never another host): no control characters or spaces (browsers
    drop tabs and newlines, so '/\t/evil' would become '//evil'), no scheme, no host, no backslash."""
    if not value or len(value) > 512 or not value.startswith(prefix) or value.startswith("//") or "\\" in value:
        return prefix
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return prefix
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return prefix
    return value


def install(server: flask.Flask, rt, prefix: str, secret: str) -> None:
    """Sessions, login/logout, token exchange, access checks, CSRF, security headers and audit on `server`."""
    settings = rt.settings
    server.secret_key = secret
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="onescreen_session",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    idle = timedelta(minutes=settings.session_idle_minutes)

    def relative(path: str) -> str:
        return path[len(prefix):] if path.startswith(prefix) else path.lstrip("/")

    @server.before_request
    def load_viewer():
        flask.session.permanent = True
        flask.g.viewer = None
        now = rt.clock.now()
        seen = flask.session.get("seen")
        if seen is not None and now.timestamp() - seen > idle.total_seconds():
            flask.session.clear()  # idle too long
        if "user" in flask.session:
            flask.g.viewer = rt.users.viewer(flask.session["user"])
        elif "token" in flask.session:
            if rt.users.token_alive(flask.session["token"], now):
                flask.g.viewer = rt.users.token_viewer_by_name(flask.session["token"], now)
        if flask.g.viewer is None and ("user" in flask.session or "token" in flask.session):
            flask.session.clear()  # disabled, revoked or expired: never anonymous, never unfiltered
        if flask.g.viewer is not None:
            flask.session["seen"] = now.timestamp()
        flask.g.decision = rt.decide(flask.g.viewer)

    @server.before_request
    def exchange_token():
        token = flask.request.args.get("token")
        if token is None or flask.request.method != "GET":
            return None
        viewer = rt.users.token_viewer(token[:128], rt.clock.now())
        args = {k: v for k, v in flask.request.args.items() if k != "token"}
        target = safe_next(quote(flask.request.path) + ("?" + urlencode(args) if args else ""), prefix)
        if viewer is None:
            audit(rt, "?", "token_refused", flask.request.path)
            flask.session.clear()
            return flask.Response(t("login.token_refused", normalise(args.get("lang"), settings.language)),
                                  status=403, mimetype="text/plain")
        flask.session.clear()
        flask.session["token"] = viewer.name
        flask.session["seen"] = rt.clock.now().timestamp()
        audit(rt, viewer.name, "token_used", flask.request.path, viewer.units)
        return flask.redirect(target, code=303)

    @server.before_request
    def enforce():
        path = relative(flask.request.path)
        if path.startswith(PUBLIC_PREFIXES):
            return None
        action = next((a for p, a in DATA_PREFIXES.items() if path.startswith(p)), None)
        decision = flask.g.decision
        if action is None:  # a page (Dash's index for any path) or the admin page
            if flask.g.viewer is None:
                lang = normalise(flask.request.args.get("lang"), settings.language)
                query = urlencode({"lang": lang, "next": flask.request.full_path.rstrip("?")})
                return flask.redirect(f"{prefix}login?{query}", code=303)
            return None
        if flask.g.viewer is None:
            return flask.jsonify({"error": "login required"}), 401
        if action == "view" and flask.request.method == "POST":
            cookie = flask.request.cookies.get(CSRF_COOKIE, "")
            header = flask.request.headers.get(CSRF_HEADER, "")
            if not cookie or not same_secret(cookie, header):
                return flask.jsonify({"error": "missing or wrong CSRF token"}), 403
        try:
            require(decision, action)
        except AccessDenied as exc:
            return flask.jsonify({"error": str(exc)}), 403
        if action in ("export", "api"):
            audit(rt, flask.g.viewer.name, action, flask.request.full_path[:500], decision.units)
        return None

    @server.after_request
    def headers(response: flask.Response):
        if flask.g.get("viewer") is not None and CSRF_COOKIE not in flask.request.cookies:
            response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), samesite="Strict",
                                secure=flask.request.is_secure, httponly=False, path=prefix)
        response.headers["Content-Security-Policy"] = server.config["ONESCREEN_CSP"]
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY" if settings.frame_ancestors == "'none'" else "SAMEORIGIN"
        response.headers["Server"] = "One Screen"
        if flask.request.is_secure:
            server.config["SESSION_COOKIE_SECURE"] = True
        return response

    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=settings.redis_url or "onescreen-memory://",  # with Redis, every worker and host shares the counts
        key_prefix=f"{settings.redis_prefix}:limits",
        default_limits=[],
        headers_enabled=True,
        # Redis down: the per-address count is skipped (and logged) rather than every login failing with a 500;
        # each account's lockout (five failures) still holds. Not the library's in-memory fallback: its
        # MemoryStorage starts a non-daemon timer that keeps a process from ever exiting.
        swallow_errors=True,
    )

    @server.errorhandler(429)
    def too_many(exc):
        lang = normalise(flask.request.args.get("lang"), settings.language)
        audit(rt, "?", "rate_limited", flask.request.path)
        return login_page(lang, t("login.locked", lang), status=429)

    @server.route(prefix + "login", methods=["GET", "POST"])
    @limiter.limit(LOGIN_LIMIT, methods=["POST"])
    def login():
        lang = normalise(flask.request.args.get("lang"), settings.language)
        next_path = safe_next(flask.request.args.get("next"), prefix)
        if flask.request.method == "GET":
            return login_page(lang, next_path=next_path)
        form = flask.request.form
        expected = flask.session.get("login_csrf", "")
        if not expected or not same_secret(expected, form.get("csrf", "")):
            return login_page(lang, t("login.expired", lang), next_path, status=400)
        name, password = form.get("username", "")[:64], form.get("password", "")[:256]
        viewer, reason = rt.users.authenticate(name, password, rt.clock.now())
        if viewer is None:
            audit(rt, name or "?", "login_locked" if reason == "locked" else "login_failed", reason)
            text = t("login.locked" if reason == "locked" else "login.failed", lang)
            return login_page(lang, text, next_path, status=401)
        flask.session.clear()  # a new session id for a new login
        flask.session["user"] = viewer.name
        flask.session["seen"] = rt.clock.now().timestamp()
        audit(rt, viewer.name, "login", viewer.role or "", viewer.units)
        return flask.redirect(next_path, code=303)

    @server.route(prefix + "admin/audit")
    def audit_page():
        """The newest audit rows, for admins."""
        try:
            require(flask.g.decision, "admin")
        except AccessDenied as exc:
            return flask.jsonify({"error": str(exc)}), 403
        lang = normalise(flask.request.args.get("lang"), settings.language)
        rows = "".join(
            f"<tr><td>{r['at']:%Y-%m-%d %H:%M:%S}</td><td>{escape(r['who'])}</td><td>{escape(r['action'])}</td>"
            f"<td>{escape(r['source'])}</td><td>{escape(r['what'])}</td><td>{escape(r['scope'])}</td></tr>"
            for r in rt.users.audit_rows(500)
        )
        head = "".join(f"<th>{escape(t(k, lang))}</th>" for k in ("audit.at", "audit.who", "audit.action",
                                                                   "audit.source", "audit.what", "audit.scope"))
        body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{escape(t("audit.title", lang))}'
                f'</title><link rel="stylesheet" href="{prefix}assets/style.css"><main class="content">'
                f'<h2>{escape(t("audit.title", lang))}</h2><table class="summary-table" id="audit"><tr>{head}</tr>'
                f"{rows}</table></main></html>")
        return flask.Response(body, mimetype="text/html")

    @server.route(prefix + "logout", methods=["GET", "POST"])
    def logout():
        who = flask.g.viewer.name if flask.g.get("viewer") else None
        if who:
            audit(rt, who, "logout", "")
        flask.session.clear()
        response = flask.redirect(f"{prefix}login", code=303)
        response.delete_cookie(CSRF_COOKIE, path=prefix)
        return response
