"""Both transports against a real loopback HTTP peer: the same request (gzip body, bearer token) and the same
Reply for the delivery policy (status, body, Retry-After and Date headers); network failures are OSError;
requests is imported only at the first POST."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from agent.transport import HttpTransport, RequestsTransport, Transport
from tests.agent.agentproc import REPO
from tests.agent.receiver import Receiver, Scripted

pytestmark = pytest.mark.integration
TRANSPORTS = {"builtin": HttpTransport, "requests": RequestsTransport}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(report_interval=7).start()
    yield r
    r.stop()


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request: pytest.FixtureRequest, receiver: Receiver) -> Iterator[Transport]:
    t = TRANSPORTS[request.param](receiver.url, receiver.token, 5)
    yield t
    t.close()


def body(*ts: int) -> bytes:
    return gzip.compress(json.dumps({"agent_version": "t", "dropped": 0,
                                     "samples": [{"ts": t, "cpu_percent": 1.0} for t in ts]}).encode())


def test_it_posts_gzip_with_the_bearer_token_and_returns_the_reply(transport: Transport, receiver: Receiver) -> None:
    reply = transport.post_report(body(100, 101))
    assert reply.status == 200 and json.loads(reply.body) == {"stored": 2, "report_interval": 7}
    assert reply.header("date") is not None and reply.header("Content-Type") == "application/json"
    sent = receiver.requests[-1]
    assert sent.headers["Content-Encoding"] == "gzip" and sent.headers["Authorization"] == "Bearer t0ken"
    assert sorted(receiver.stored) == [100, 101]
    assert transport.post_report(body(102)).status == 200  # a second POST on the same transport


def test_error_statuses_and_retry_after_reach_the_policy(transport: Transport, receiver: Receiver) -> None:
    receiver.script = [Scripted(503, {"error": {"code": "busy", "message": "later"}}, {"Retry-After": "7"}),
                       Scripted(413, {"error": {"code": "too_large", "message": "body too large"}}),
                       Scripted(301, None, {"Location": "http://elsewhere.invalid/"})]
    r = transport.post_report(body(1))
    assert (r.status, r.header("Retry-After"), json.loads(r.body)["error"]["code"]) == (503, "7", "busy")
    assert transport.post_report(body(1)).status == 413
    assert transport.post_report(body(1)).status == 301  # never followed: a wrong URL is the policy's to judge


def test_a_server_that_is_gone_is_an_oserror(transport: Transport, receiver: Receiver) -> None:
    receiver.stop()
    with pytest.raises(OSError):
        transport.post_report(body(1))


def test_requests_is_imported_only_at_the_first_post() -> None:
    code = ("import sys; from agent.transport import RequestsTransport; t = RequestsTransport('http://x', 't', 1);"
            "print('requests' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
