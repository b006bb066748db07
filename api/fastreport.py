"""POST /api/report at the WSGI level, in front of Flask: the agents' hot route without Flask's request
context, URL routing and response objects (about 30 % of the app's CPU per report, measured in process).

``ReportFastPath(app, state)`` wraps the Flask app's ``wsgi_app``: exactly ``POST /api/report`` is answered
here, everything else (other methods, other paths, ``/api/report/``) goes to Flask unchanged. The answer is
the Flask route's, byte for byte: the same kernel (api/ingest.py: rate limit, validation, write, live feed,
interval hint), the same body rules (api/body.py's ``decode_body`` after werkzeug's own size-capped stream),
the same agent-token check, the same error shape, status lines and headers (the security headers of
api/auth.py's after-request hook included). tests/api/test_fastreport.py holds it to that against the Flask
route for a table of good and bad requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.wsgi import get_input_stream

from api.auth import API_HEADERS, SECURITY_HEADERS, agent_unauthorized, parse_bearer
from api.body import decode_body
from api.errors import as_api_error, error_body
from api.ingest import check_rate, take_report
from api.state import AppState

PATH = "/api/report"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# After the body's own headers (Content-Type, Content-Length, then any of the error's), as the hook adds them.
_TRAILING = SECURITY_HEADERS + API_HEADERS


def _status_line(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"  # werkzeug's spelling


_STATUS = {code: _status_line(code) for code in HTTP_STATUS_CODES}


class ReportFastPath:
    def __init__(self, app: Flask, state: AppState, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.state = state
        self.flask = wsgi_app  # what every other request goes to (and the reference in the tests)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.flask(environ, start_response)
        try:
            answer = self.report(environ)
        except Exception as e:  # noqa: BLE001 - rendered as Flask's handlers do: ours, werkzeug's (a body over the
            # limit, a client gone mid-body), anything else (503 for a store down, else a logged 500)
            err = as_api_error(e)
            return self.respond(start_response, err.status, error_body(err.code, err.message, err.details),
                                err.headers)
        return self.respond(start_response, 200, answer, None)

    def report(self, environ: dict[str, Any]) -> dict[str, Any]:
        """The Flask route's steps in its order: token (401), rate (429), body (413/415/400), the kernel."""
        state = self.state
        token = parse_bearer(environ.get("HTTP_AUTHORIZATION", ""))
        client = state.clients.authenticate(token) if token else None
        if client is None:
            raise agent_unauthorized()
        check_rate(state, client)
        settings = state.settings
        content_type = environ.get("CONTENT_TYPE", "")
        mimetype = content_type if content_type == "application/json" else \
            parse_options_header(content_type)[0].lower()
        raw = get_input_stream(environ, max_content_length=self.app.config["MAX_CONTENT_LENGTH"]).read()
        body = decode_body(raw, mimetype, environ.get("HTTP_CONTENT_ENCODING"), settings.max_body_bytes,
                           settings.max_decompressed_bytes)
        return take_report(state, client, body)

    def respond(self, start_response: Callable[..., Any], status: int, obj: dict[str, Any],
                extra: dict[str, str] | None) -> list[bytes]:
        """``jsonify(obj)`` with ``status``, then the extra headers, then the after-request hook's."""
        provider = self.app.json
        if (provider.compact is None and self.app.debug) or provider.compact is False:  # type: ignore[attr-defined]
            text = provider.dumps(obj, indent=2)
        else:
            text = provider.dumps(obj, separators=(",", ":"))
        data = (text + "\n").encode()
        headers = [("Content-Type", provider.mimetype), ("Content-Length", str(len(data)))]  # type: ignore[attr-defined]
        if extra:
            headers.extend(extra.items())
        headers.extend(_TRAILING)
        start_response(_STATUS.get(status) or _status_line(status), headers)
        return [data]


def install(app: Flask) -> None:
    """Put the WSGI report path in front of the app (after everything else wrapped ``wsgi_app``)."""
    app.wsgi_app = ReportFastPath(app, app.extensions["statusmon"], app.wsgi_app)  # type: ignore[method-assign]
