"""One Screen: `create_app(settings)` builds the Dash app; `python app.py` serves the embedded demo."""

from __future__ import annotations

import logging
import sys
import time

import flask
from dash import Dash, no_update, set_props
from dash.exceptions import DependencyException, InvalidResourceError
from flask_openapi3 import Info, OpenAPI
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from api import auth
from api import v1 as api_v1
from api.export import blueprint as export_routes
from callbacks.context import EXTENSION
from callbacks.registry import register_all
from dashboard.access import AccessDenied
from dashboard.errors import BadInput
from dashboard.i18n import t
from dashboard.logs import configure_logging, redact_values, secrets_of
from dashboard.routes import parse_route
from dashboard.runtime import Runtime
from dashboard.settings import Settings, load_settings
from dashboard.view import as_of_time
from layouts import ids
from layouts.shell import root_layout
from wiring import STARTUP_ERRORS, build_runtime, secret_key

log = logging.getLogger("onescreen")
request_log = logging.getLogger("onescreen.request")

# Largest request body the server reads (a callback posts a few small inputs; the browser's largest is well
# under 10 KB); a larger one gets HTTP 413 before it is read.
MAX_REQUEST_BYTES = 256 * 1024


def handle_callback_error(exc: Exception):
    """Show a callback's domain error as a message on the page; anything else is logged, not shown raw."""
    if isinstance(exc, BadInput):
        set_props(ids.ERROR, {"children": str(exc)})
    elif isinstance(exc, AccessDenied):  # says what is not allowed, never what the data would have been
        set_props(ids.ERROR, {"children": f"{exc} 无权查看。"})
    else:
        log.exception("callback failed", exc_info=exc)
        set_props(ids.ERROR, {"children": "Internal error; the log has the details. 内部错误，详见日志。"})
    return no_update


def _not_found_response(rt: Runtime, path: str):
    """A plain 404 page for a URL that names no page of the app."""
    lang = rt.settings.language
    route = parse_route(path, "/")
    text = t("error.unknown_unit", lang, code=route.code) if route.page == "district" else t(
        "error.not_found", lang, path=path
    )
    body = f'<!doctype html><meta charset="utf-8"><title>404</title><p>{escape(text)}</p><p><a href="/">/</a></p>'
    return flask.Response(body, status=404, mimetype="text/html")


def create_app(settings: Settings, *, worker: bool = False) -> Dash:
    """The Dash app for these settings; all state lives on the returned app. A gunicorn worker (`worker=True`)
    never refreshes, never prepares demo data and starts no refresh thread."""
    rt = build_runtime(settings, worker=worker)
    server = OpenAPI(
        __name__,
        info=Info(title="One Screen aggregates API", version="1"),
        doc_ui=False,  # the document only: a UI would fetch its scripts from outside
        validation_error_status=400,
        validation_error_callback=api_v1.validation_error,
    )
    app = Dash(
        __name__,
        server=server,
        title="一屏观城 One Screen",
        compress=True,
        suppress_callback_exceptions=True,
        on_error=handle_callback_error,
        update_title=None,
    )
    app.layout = root_layout
    register_all(app)
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.extensions[EXTENSION] = rt
    server.config["ONESCREEN_PREFIX"] = app.config.requests_pathname_prefix
    rt.geojson_url = app.config.requests_pathname_prefix + "boundaries.geojson"

    server.config["ONESCREEN_CSP"] = content_security_policy(app, settings.frame_ancestors)

    @server.before_request
    def start_timer():  # first of the request hooks, so that the logged time covers the access checks too
        flask.g.started = time.perf_counter()

    auth.install(server, rt, app.config.routes_pathname_prefix, secret_key(settings))
    server.register_blueprint(export_routes(app.config.routes_pathname_prefix + "export"))
    server.register_api(api_v1.blueprint(app.config.routes_pathname_prefix + "api/v1"))

    @server.get(app.config.routes_pathname_prefix + "api/v1/openapi.json", doc_ui=False)
    def openapi_document():
        return server.api_doc

    @server.get(app.config.routes_pathname_prefix + "boundaries.geojson", doc_ui=False)
    def boundaries():
        return flask.send_file(rt.city.boundaries_path, mimetype="application/json", max_age=86400)

    @server.get(app.config.routes_pathname_prefix + "health", doc_ui=False)
    def health():
        answer = redact_values(health_answer(rt), secrets_of(rt.settings))
        return flask.jsonify(answer), 503 if answer["status"] == "starting" else 200

    @server.after_request
    def log_request(response: flask.Response):
        started = flask.g.get("started")
        viewer = flask.g.get("viewer")
        request_log.info(
            "%s %s %s", flask.request.method, flask.request.path[:300], response.status_code,
            extra={
                "event": "request",
                "method": flask.request.method,
                "path": flask.request.path[:300],
                "query": logged_query(flask.request.args),
                "status": response.status_code,
                "ms": round(1000 * (time.perf_counter() - started), 2) if started else None,
                "bytes": response.content_length,
                "user": viewer.name if viewer is not None else None,
            },
        )
        return response

    @server.errorhandler(Exception)
    def malformed_callback(exc):
        # Callback exceptions go to handle_callback_error; what reaches here from the callback endpoint is a
        # request Dash could not parse (unknown output, wrong shapes, not JSON).
        is_callback = flask.request.path.endswith("_dash-update-component")
        if isinstance(exc, HTTPException) and (exc.code != 400 or not is_callback):
            return exc  # 404, 405, 413 ... keep their status
        if isinstance(exc, DependencyException | InvalidResourceError):  # a script path Dash does not serve
            log.warning("no such component file: %s", flask.request.path[:200])
            return flask.Response("not found", status=404, mimetype="text/plain")
        if is_callback:
            log.warning("malformed callback request: %r", exc)
            return {"error": "malformed callback request"}, 400
        log.exception("request failed", exc_info=exc)
        return {"error": "internal error"}, 500

    @server.before_request
    def page_exists():
        rule = flask.request.url_rule
        if rule is not None and rule.rule.endswith("<path:path>"):
            path = "/" + flask.request.view_args.get("path", "")
            route = parse_route(path, "/")
            visible = flask.g.decision.units if flask.g.get("decision") is not None else frozenset()
            if route.page == "not_found" or (route.page == "district" and route.code not in visible):
                return _not_found_response(rt, path)
        return None

    if settings.refresh_seconds and not worker:
        rt.start_scheduler()
        rt.start_feed()
    rt.reader.get()  # hold the current snapshot from the start: a store outage before the first request still serves
    return app


SENSITIVE_PARAMETERS = ("token", "password", "secret", "csrf", "key")


def logged_query(args) -> str:
    """A request's query for the log: as Flask decoded it (so `tok%65n=` is seen as `token=`), with the value of
    any parameter whose name holds token, password, secret, csrf or key replaced by ***; at most 300 characters."""
    parts = []
    for name, value in args.items(multi=True):
        masked = "***" if any(word in name.lower() for word in SENSITIVE_PARAMETERS) else value[:100]
        parts.append(f"{name[:40]}={masked}")
    return "&".join(parts)[:300]


def health_answer(rt: Runtime) -> dict:
    """What /health says, cheaply (the pinned copy in memory, one store ping, source pings cached a few seconds):
    `status` ok | degraded (serving memory while the store is down, a source down, or the last refresh failed) |
    starting (no snapshot yet: 503); the snapshot's version, as_of and age; the store and where pages' data comes
    from; each source; the last refresh's result. Never a URL, a password or a row."""
    snap = rt.reader.get()
    reader = rt.reader.status()
    if rt.reader.store_error is not None:  # down: say so without waiting on it again
        store, failure = {"backend": rt.store.backend, "ok": False}, None
    else:
        store = rt.store.health()
        try:
            failure = rt.store.last_failure()
        except Exception:  # noqa: BLE001 - the store is down; health reports, never raises
            failure = None
    sources = rt.source_status()
    age = None
    if snap is not None:
        age = round((rt.clock.now() - as_of_time(snap)).total_seconds())
    last = None
    if snap is not None:
        last = {"result": "published", "version": snap.version, "at": snap.meta.get("checked_at"),
                **{k: snap.meta.get(k) for k in ("kind", "duration_s", "cutoff", "bad_rows")}}
    degraded = reader["serving"] == "memory" or not store.get("ok") or failure is not None or any(
        not s["ok"] for s in sources.values())
    status = "starting" if snap is None else "degraded" if degraded else "ok"
    return {
        "status": status,
        "version": snap.version if snap else None,
        "as_of": snap.as_of if snap else None,
        "age_seconds": age,
        "store": {**store, **reader},
        "sources": sources,
        "last_refresh": {"published": last, "failure": failure},
    }


def content_security_policy(app: Dash, frame_ancestors: str) -> str:
    """No origin but this server's: Dash's inline scripts by their hashes; 'unsafe-eval' because plotly's map and
    AG Grid's value formatters compile functions; blob: for the map's web workers."""
    scripts = " ".join(app.csp_hashes())
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'unsafe-eval' {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def wsgi():
    """WSGI entry for gunicorn (`make serve`, gunicorn.conf.py): a worker that serves and never refreshes."""
    settings = load_settings()
    configure_logging(settings, extra_secrets=[secret_key(settings)])
    return create_app(settings, worker=True).server


def main() -> int:
    """Serve with the settings from the environment; a bad setting stops with a message."""
    try:
        settings = load_settings()
        configure_logging(settings, extra_secrets=[secret_key(settings)])
        app = create_app(settings)
    except STARTUP_ERRORS as exc:
        print(exc, file=sys.stderr)
        return 2
    log.info("One Screen on http://%s:%s/", settings.host, settings.port)
    app.run(host=settings.host, port=settings.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
