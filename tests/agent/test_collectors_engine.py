"""agent/collectors/engine.py, the containers poll's Engine API client: its JSON shortcuts against json.loads
and parse_stats on literal replies, and its pipelined reader against real servers on a unix socket (the
scripted raw server of test_http11_pipeline: replies chunked as dockerd writes them, byte by byte, cut off
mid-pipeline, or closed after each reply)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.collectors.containers import STATS_KEYS, parse_stats, stats_of, stats_reply
from agent.collectors.engine import EngineClient, loads, members
from tests.agent.dockerengine import container, stats_doc
from tests.agent.test_http11_pipeline import chunked, scripted, sized

# A cgroup v1 stats reply as dockerd's Go encoder writes it (no blanks; percpu and blkio filled in).
V1_REPLY = (
    b'{"read":"2026-11-30T10:00:00.5Z","preread":"2026-11-30T09:59:59.5Z","pids_stats":{"current":3,"limit":4096},'
    b'"blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"Read","value":4096}]},'
    b'"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":900000,"percpu_usage":[400000,'
    b'500000],"usage_in_kernelmode":10,"usage_in_usermode":20},"system_cpu_usage":7000000000,"online_cpus":2,'
    b'"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":'
    b'{"total_usage":800000,"usage_in_kernelmode":5,"usage_in_usermode":15},"system_cpu_usage":6000000000,'
    b'"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":'
    b'{"usage":5000000,"max_usage":6000000,"stats":{"cache":100,"total_inactive_file":1000000},'
    b'"limit":2000000000},"name":"/web \\"cpu_stats\\": {}","id":"ab12","networks":{"eth0":{"rx_bytes":'
    b'1500,"tx_bytes":700},"eth1":{"rx_bytes":500,"tx_bytes":300}}}\n'
)


@pytest.mark.parametrize("body", [
    b'{"a": [1, 2.5, "x\\u00e9", null, true]}', b'  [1]\n', b'"\xc3\xa9"', b"0", V1_REPLY,
    json.dumps(stats_doc(container(3, cpu_ns=5))).encode(),
])
def test_loads_reads_what_json_loads_reads(body: bytes) -> None:
    assert loads(body) == json.loads(body)


@pytest.mark.parametrize("body", [b"", b"   ", b"{", b'{"a": 1} x', b"[1] [2]", b"\xff{}", b"nope"])
def test_loads_rejects_what_json_loads_rejects(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads(body)


def test_a_stats_reply_read_by_its_three_members_equals_the_whole_document_parsed() -> None:
    # Go's compact form (a member's name inside a string is not taken for the member) and Python's spaced one
    v1 = stats_reply(V1_REPLY)
    assert v1 == parse_stats(json.loads(V1_REPLY))
    assert v1 is not None and (v1.cpu_ns, v1.system_ns, v1.mem_bytes, v1.rx_bytes, v1.tx_bytes) == \
        (900000, 7000000000, 4000000, 2000, 1000)
    spaced = json.dumps(stats_doc(container(9, cpu_ns=11, system_ns=13, rx=17, tx=19, mem=23)), indent=1).encode()
    assert members(spaced.decode(), STATS_KEYS) is not None
    assert stats_reply(spaced) == parse_stats(json.loads(spaced))
    assert stats_reply(b"{}") == parse_stats({}) == stats_of(None, None, None)  # a stopped container's


def test_a_reply_that_does_not_scan_by_members_is_parsed_whole_or_dropped() -> None:
    assert members('{"cpu_stats": ', STATS_KEYS) is None
    assert members("[1]", STATS_KEYS) is None
    assert stats_reply(b'{"cpu_stats": ') is None  # cut short: not JSON either
    assert stats_reply(b"[1, 2]") is None  # JSON, not a stats object
    assert stats_reply(b"\xff") is None and stats_reply(None) is None
    # a member of the wrong type reads as absent, as parse_stats reads it
    odd = b'{"cpu_stats": [1], "memory_stats": {"usage": 10, "stats": 5}, "networks": {"eth0": 3}}'
    assert stats_reply(odd) == parse_stats(json.loads(odd)) == stats_of(None, {"usage": 10}, None)


def test_pipelined_replies_chunked_sized_and_404_come_back_in_order_on_one_connection(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    replies = [chunked({"n": 1}), sized(404, {"message": "No such container"}), chunked({"n": 3}),
               b"HTTP/1.1 204 No Content\r\n\r\n"]
    with scripted(path, replies) as seen:
        engine = EngineClient(path)
        assert engine.exchange(["/a", "/b", "/c", "/d"], 1 << 20, gather=0.001) == [
            (200, b'{"n": 1}'), (404, b'{"message": "No such container"}'), (200, b'{"n": 3}'), (204, b"")]
        assert engine.get_bodies(["/e", "/f", "/g"]) == [b'{"n": 1}', None, b'{"n": 3}']
        assert engine.get_many(["/h"], dict) == [None]  # a 204's empty body is no JSON
        assert seen == {"requests": 8, "connections": 1}
        engine.close()


def test_replies_arriving_byte_by_byte_are_read_whole(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [chunked({"cpu": 12345}), sized(200, {"x": [1, 2]})], byte_by_byte=True) as seen:
        engine = EngineClient(path)
        assert engine.get_many(["/a", "/b", "/c"], dict) == [{"cpu": 12345}, {"x": [1, 2]}, {"cpu": 12345}]
        assert seen["connections"] == 1
        engine.close()


def test_a_daemon_closing_mid_pipeline_has_the_rest_asked_one_at_a_time(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [sized(200, {"i": 0}), sized(200, {"i": 1})], close_after=2) as seen:
        engine = EngineClient(path)
        assert engine.get_many([f"/{i}" for i in range(5)], dict) == [{"i": 0}, {"i": 1}, {"i": 0}, {"i": 1},
                                                                      {"i": 0}]
        assert seen["requests"] >= 5
        engine.close()


def test_a_body_over_the_limit_is_no_reply_and_the_connection_is_not_reused(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [sized(200, {"big": "x" * 5000}), chunked({"big": "y" * 5000})]) as seen:
        engine = EngineClient(path)
        assert engine.get_many(["/a"], dict, max_body=1000) == [None]
        assert engine.get_many(["/b"], dict, max_body=1000) == [None]
        assert seen["connections"] == 2
        engine.close()


def test_what_is_not_http_is_an_error_and_no_daemon_none_for_each(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [b"garbage that is not HTTP\r\n\r\n"]):
        engine = EngineClient(path)
        with pytest.raises(OSError):
            engine.get("/x", 1000)
        assert engine.get_bodies(["/a", "/b"]) == [None, None]
    assert EngineClient(str(tmp_path / "missing.sock")).get_bodies(["/a", "/b"]) == [None, None]
