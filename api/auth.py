"""Who may call what. Deny by default: every view needs the admin session unless it says otherwise.

Access levels, set on a view with a decorator:
- ``@public``: no credentials (health check, login, the dashboard's static files).
- ``@agent``: an agent's bearer token; ``g.client`` is the client the token belongs to.
- ``@readable``: the admin session, or a read-only API token (Grafana) as a bearer token.
- default (admin): the admin session cookie; state-changing methods also need the session's CSRF token in
  the ``X-CSRF-Token`` header and, when the browser sends one, an ``Origin`` of this server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from api.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])

SESSION_COOKIE = "statusmon_session"
CSRF_HEADER = "X-CSRF-Token"
AUTHORIZATION = "Authorization"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _mark(level: str) -> Callable[[F], F]:
    def deco(view: F) -> F:
        view._access = level  # type: ignore[attr-defined]
        return view
    return deco


public = _mark("public")
agent = _mark("agent")
readable = _mark("read")


def access_of(view: Callable[..., Any] | None) -> str:
    return getattr(view, "_access", "admin")


# Set on every response unless the view set its own (the WSGI report path, api/fastreport.py, adds them too).
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                    ("X-Frame-Options", "DENY"))
API_HEADERS = (("Cache-Control", "no-store"),)  # and on every /api/ response


def parse_bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def bearer_token() -> str | None:
    return parse_bearer(request.headers.get(AUTHORIZATION, ""))


def agent_unauthorized() -> Unauthorized:
    return Unauthorized("missing or invalid agent token", headers={"WWW-Authenticate": 'Bearer realm="statusmon"'})


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin header (a script, curl) is fine; a browser's Origin must be this host or an allowed one."""
    if not origin:
        return True
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == request.host


def init_app(app: Flask) -> None:
    @app.before_request
    def _enforce() -> None:
        from api.state import current_state

        view = app.view_functions.get(request.endpoint or "")
        if view is None:
            return  # 404/405 are rendered by the error handler
        level = access_of(view)
        if level == "public":
            return
        state = current_state()
        if level == "agent":
            token = bearer_token()
            client = state.clients.authenticate(token) if token else None
            if client is None:
                raise agent_unauthorized()
            g.client = client
            return
        session_id = request.cookies.get(SESSION_COOKIE)
        session = state.admin.get_session(session_id) if session_id else None
        if session is not None:
            if request.method not in SAFE_METHODS:
                if request.headers.get(CSRF_HEADER) != session.csrf_token:
                    raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
                if not origin_allowed(request.headers.get("Origin"), state.settings.allowed_origins):
                    raise Forbidden("cross-origin request refused")
            g.session = session
            g.session_id = session_id
            return
        token = bearer_token()
        api_token = state.api_tokens.authenticate(token) if token else None
        if api_token is not None:
            if level == "read":
                g.api_token = api_token
                return
            # A valid read-only token on a route it may not use: it is known, just not allowed (403, not 401).
            raise Forbidden("a read-only API token may not use this route")
        raise Unauthorized("log in first" if level == "admin" else "log in or send a read-only API token")

    @app.after_request
    def _headers(resp: Response) -> Response:
        for name, value in SECURITY_HEADERS:
            resp.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            for name, value in API_HEADERS:
                resp.headers.setdefault(name, value)
        return resp
