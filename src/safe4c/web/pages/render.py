"""Jinja2 rendering with gettext in the request's language, and HTML error pages for page routes."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from jinja2 import Environment, FileSystemLoader, select_autoescape

from safe4c.kernel.errors import AppError
from safe4c.web.errors import HTTP_MESSAGES
from safe4c.web import labels
from safe4c.web.i18n import LANGUAGE_NAMES, LANGUAGES, translations

TEMPLATES = __import__("pathlib").Path(__file__).parent.parent / "templates"

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
        env.install_gettext_callables(gettext=lambda s, **kw: s, ngettext=lambda s, p, n, **kw: s, newstyle=True)
        labels.install(env)
        _env = env
    return _env


def render(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    lang = request.state.lang
    t = translations(lang)
    env = environment()
    tmpl = env.get_template(template)

    def _(message: str, **params) -> str:
        text = t.gettext(message)
        return text % params if params else text

    def ngettext(singular: str, plural: str, n: int, **params) -> str:
        text = t.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    html = tmpl.render(
        request=request, lang=lang, languages=LANGUAGES, language_names=LANGUAGE_NAMES,
        language_links=language_links(request), gettext=_, _=_, ngettext=ngettext, **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    # Pages may show a child's report: never let a shared phone's browser cache keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def language_links(request: Request) -> dict[str, str]:
    """The language switch's link for each language: this same page, in that language. A staff page keeps its
    filters (a month, a status); a public page keeps nothing, so nothing a child typed (a follow-up code put in
    a URL) is ever written back into a page."""
    staff = request.url.path.startswith("/staff")
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] if staff else []
    return {code: "?" + urlencode(kept + [("lang", code)]) for code in LANGUAGES}


def install(app: FastAPI) -> None:
    """Page routes (not under /api/) show errors as a page in the user's language."""
    json_handler = app.exception_handlers[AppError]

    async def _app_error(request: Request, exc: AppError):
        if _is_api(request):
            return await json_handler(request, exc)
        return render(request, "error.html", status_code=exc.status, message=exc.message, params=exc.params)

    app.exception_handlers[AppError] = _app_error

    http_json = app.exception_handlers[StarletteHTTPException]

    async def _http_error(request: Request, exc: StarletteHTTPException):
        if _is_api(request):
            return await http_json(request, exc)
        message = HTTP_MESSAGES.get(exc.status_code, AppError.message)
        return render(request, "error.html", status_code=exc.status_code, message=message, params={})

    app.exception_handlers[StarletteHTTPException] = _http_error


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/openapi.json")
