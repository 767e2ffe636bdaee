"""Exports: every panel as CSV or XLSX, and every page as a zip with a Frictionless datapackage.json.

GET <prefix>export/<page>/<panel>.<csv|xlsx>?<the page's query>
GET <prefix>export/district/<code>/<panel>.<csv|xlsx>?<filters>
GET <prefix>export/<page>.zip, <prefix>export/district/<code>.zip

Each route parses the query as the page does (unknown parameters and values get 400 with a JSON error naming
them), pins one view, asks the panels' answers and renders them: never a second computation.
"""

from __future__ import annotations

import flask

from callbacks.context import current_view, runtime
from dashboard import export
from dashboard.access import AccessDenied
from dashboard.answers.pages import PAGES, UnknownParameter
from dashboard.errors import BadInput

FORMATS = {
    "csv": ("text/csv; charset=utf-8", export.csv_bytes),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export.xlsx_bytes),
}
MAX_QUERY_PARAMS = 16


def bad_request(exc: BadInput):
    """A 400 with a JSON body that names the parameter where one is at fault."""
    body = {"error": str(exc)}
    if isinstance(exc, UnknownParameter):
        body["parameter"] = exc.parameter
    elif ":" in str(exc):
        body["parameter"] = str(exc).split(":", 1)[0]
    return flask.jsonify(body), 400


def query_dict() -> dict[str, str]:
    """The request's query as single strings (a repeated parameter is refused)."""
    args = flask.request.args
    if len(args) > MAX_QUERY_PARAMS:
        raise BadInput("too many parameters")
    out = {}
    for name in args:
        values = args.getlist(name)
        if len(values) != 1:
            raise BadInput(f"{name[:40]}: give it once")
        out[name] = values[0]
    return out


def answers_for(page_name: str, code: str | None, panel: str | None):
    """(view, {panel: answer}) for a page's panel, or for all its panels; 404 for an unknown page or panel."""
    page = PAGES.get(page_name)
    if page is None or page.needs_code != (code is not None):
        flask.abort(404)
    if panel is not None and panel not in page.panels:
        flask.abort(404)
    rt = runtime()
    view = current_view()
    if view is None:
        flask.abort(503)
    params = page.params(view, query_dict(), code, rt.settings)
    names = [panel] if panel is not None else list(page.panels)
    return view, {name: page.panels[name](view, params) for name in names}


def filename(page: str, code: str | None, panel: str | None, version: int, ext: str) -> str:
    parts = ["onescreen", page, code, panel, f"v{version}"]
    return "-".join(p for p in parts if p) + f".{ext}"


def attachment(body: bytes, mimetype: str, name: str) -> flask.Response:
    """A file download that no shared cache keeps."""
    response = flask.Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def panel_file(page: str, code: str | None, panel: str, fmt: str):
    if fmt not in FORMATS:
        flask.abort(404)
    view, found = answers_for(page, code, panel)
    mimetype, render = FORMATS[fmt]
    return attachment(render(found[panel]), mimetype, filename(page, code, panel, view.version, fmt))


def page_zip(page: str, code: str | None):
    view, found = answers_for(page, code, None)
    name = filename(page, code, None, view.version, "zip")
    return attachment(export.zip_bytes(name.removesuffix(".zip"), found), "application/zip", name)


def blueprint(url_prefix: str) -> flask.Blueprint:
    """The export routes under `url_prefix` (the app's routes prefix + 'export')."""
    bp = flask.Blueprint("export", __name__, url_prefix=url_prefix)
    bp.register_error_handler(BadInput, bad_request)
    bp.register_error_handler(AccessDenied, lambda exc: (flask.jsonify({"error": str(exc)}), 403))
    bp.add_url_rule("/<page>/<panel>.<fmt>", view_func=lambda page, panel, fmt: panel_file(page, None, panel, fmt))
    bp.add_url_rule("/district/<code>/<panel>.<fmt>", endpoint="district_panel",
                    view_func=lambda code, panel, fmt: panel_file("district", code, panel, fmt))
    bp.add_url_rule("/<page>.zip", endpoint="page_zip", view_func=lambda page: page_zip(page, None))
    bp.add_url_rule("/district/<code>.zip", endpoint="district_zip", view_func=lambda code: page_zip("district", code))
    return bp
