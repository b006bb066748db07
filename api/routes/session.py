"""Admin login and logout: an HttpOnly, SameSite=Strict session cookie and a CSRF token for the dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import SESSION_COOKIE, public
from api.body import json_body
from api.errors import BadRequest, TooManyRequests, Unauthorized
from api.state import current_state

bp = Blueprint("session", __name__)


def client_address() -> str:
    state = current_state()
    if state.settings.trust_proxy and request.headers.get("X-Forwarded-For"):
        return request.headers["X-Forwarded-For"].split(",")[0].strip()
    return request.remote_addr or "?"


@bp.post("/api/login")
@public
def login() -> ResponseReturnValue:
    state = current_state()
    allowed, wait = state.login_limiter.check(client_address())
    if not allowed:
        raise TooManyRequests("too many login attempts", headers={"Retry-After": str(wait)})
    body = json_body(4096, 4096)
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(password, str) or not password:
        raise BadRequest("send {\"password\": \"...\"}")
    if not state.admin.check_password(password):
        raise Unauthorized("wrong password")
    session_id, session = state.admin.create_session()
    resp = jsonify({"authenticated": True, "csrf_token": session.csrf_token, "expires_at": session.expires_at})
    resp.set_cookie(SESSION_COOKIE, session_id, max_age=state.settings.session_hours * 3600, httponly=True,
                    samesite="Strict", secure=state.settings.cookie_secure, path="/")
    return resp


@bp.post("/api/logout")
def logout() -> ResponseReturnValue:
    current_state().admin.end_session(g.session_id)
    resp: Response = jsonify({"authenticated": False})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@bp.get("/api/session")
@public
def session_info() -> ResponseReturnValue:
    """Whether this browser is logged in, and the CSRF token the dashboard must send with changes."""
    state = current_state()
    session_id = request.cookies.get(SESSION_COOKIE)
    session = state.admin.get_session(session_id) if session_id else None
    if session is None:
        return jsonify({"authenticated": False, "password_set": state.admin.has_password()})
    return jsonify({"authenticated": True, "csrf_token": session.csrf_token, "expires_at": session.expires_at})
