"""Per-container usage: the Engine API's JSON parsed from literal replies, and the collector polling a fake
engine on a real unix socket (tests/agent/dockerengine.py): rates between polls, a restarted container whose
counters start again, a vanished container, 300 containers, and a slow daemon that never delays a sample."""

from __future__ import annotations

import time
from pathlib import Path

from agent.collectors.containers import Container, ContainersCollector, Stats, container_entry, parse_list, parse_stats
from tests.agent.dockerengine import container, fake_engine, stats_doc


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_parse_list_names_without_slash_and_a_nameless_container() -> None:
    doc = [{"Id": "a" * 64, "Names": ["/web"], "Image": "nginx:1.25", "State": "running"},
           {"Id": "b" * 64, "Names": [], "Image": "x", "State": "exited"},
           "garbage"]
    assert parse_list(doc) == [Container("a" * 64, "web", "nginx:1.25", "running"),
                               Container("b" * 64, "b" * 12, "x", "exited")]
    assert parse_list({"message": "not a list"}) == []


def test_parse_stats_subtracts_inactive_page_cache_on_v2_and_v1() -> None:
    s = parse_stats(stats_doc(container(1, cpu_ns=5, system_ns=9, rx=7, tx=8, mem=100)))
    assert s == Stats(5, 9, 100, 8_000_000_000, 7, 8)
    v1 = {"memory_stats": {"usage": 500, "limit": 1000, "stats": {"total_inactive_file": 200}}}
    assert parse_stats(v1) == Stats(None, None, 300, 1000, None, None)
    assert parse_stats({}) == Stats(None, None, None, None, None, None)  # a stopped container's empty stats


def test_container_entry_rates_need_two_polls_and_counters_that_did_not_go_back() -> None:
    c = Container("id", "web", "nginx", "running")
    old = Stats(1_000_000_000, 100_000_000_000, 10, 100, 1000, 2000)
    new = Stats(3_000_000_000, 110_000_000_000, 20, 100, 21000, 4000)
    assert container_entry(c, new, None, 10.0, 2) == {"id": "id", "name": "web", "image": "nginx",
                                                      "state": "running", "restart_count": 2, "mem_bytes": 20,
                                                      "mem_limit_bytes": 100}
    e = container_entry(c, new, (0.0, old), 10.0, 2)
    assert (e["cpu_percent"], e["net_rx_bytes_per_s"], e["net_tx_bytes_per_s"]) == (20.0, 2000.0, 200.0)
    restarted = Stats(50_000_000, 111_000_000_000, 5, 100, 10, 10)
    e = container_entry(c, restarted, (0.0, old), 10.0, 3)
    assert "cpu_percent" not in e and "net_rx_bytes_per_s" not in e and e["restart_count"] == 3


def test_it_polls_the_engine_in_the_background_with_rates_restarts_and_vanished_containers(tmp_path: Path) -> None:
    clock = Clock()
    cs = {c["id"]: c for c in (container(1, system_ns=10**12), container(2, system_ns=10**12),
                               container(3, state="exited"))}
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        c = ContainersCollector(engine["path"], interval=10, clock=clock)
        c.settle(5)
        first = c.collect(0)["containers"]
        assert [x["name"] for x in first] == ["app-1", "app-2", "app-3"]
        assert "cpu_percent" not in first[0] and first[0]["mem_bytes"] == 100_000_000
        assert first[2] == {"id": f"{3:064x}", "name": "app-3", "image": "registry.example.com/app:3",
                            "state": "exited", "restart_count": 0}
        assert c.collect(1) == {"containers_running": 2, "containers_restarting": 0}  # the list: once a poll
        assert engine["hits"] == {"list": 1, "inspect": 3, "stats": 2, "df": 0}

        clock.t += 10
        one, two = cs[f"{1:064x}"], cs[f"{2:064x}"]
        one.update(cpu_ns=2 * 10**9, system_ns=10**12 + 40 * 10**9, rx=50_000, tx=10_000)
        two.update(state="restarting", restarts=1)
        del cs[f"{3:064x}"]
        c.refresh()
        c.settle(5)
        second = {x["name"]: x for x in c.collect(10)["containers"]}
        assert set(second) == {"app-1", "app-2"}  # app-3 vanished
        assert second["app-1"]["cpu_percent"] == 5.0
        assert second["app-1"]["net_rx_bytes_per_s"] == 5000.0 and second["app-1"]["net_tx_bytes_per_s"] == 1000.0
        assert second["app-2"]["restart_count"] == 1 and second["app-2"]["state"] == "restarting"
        assert engine["hits"]["inspect"] == 4  # only the container whose state changed was inspected again
        assert c.collect(11) == {"containers_running": 1, "containers_restarting": 1}

        clock.t += 10
        two.update(state="running", restarts=2, rx=0)
        one.update(rx=10)  # app-1's counters start again (restarted between polls)
        c.refresh()
        c.settle(5)
        third = {x["name"]: x for x in c.collect(20)["containers"]}
        assert third["app-2"]["restart_count"] == 2
        assert c.collect(21) == {"containers_running": 2, "containers_restarting": 1}  # restarted since
        clock.t += 31
        assert c.collect(52) == {}  # no poll for three intervals: the counts are withdrawn
        assert "net_rx_bytes_per_s" not in third["app-1"] and third["app-1"]["net_tx_bytes_per_s"] == 0.0
        c.close()


def test_300_containers_are_polled_off_the_loop_and_all_reported(tmp_path: Path) -> None:
    cs = {c["id"]: c for c in (container(i, system_ns=10**12) for i in range(300))}
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        engine["delay"] = 0.002
        t0 = time.perf_counter()
        c = ContainersCollector(engine["path"], interval=10)
        assert "containers" not in c.collect(0)  # the poll is still running: the sample does not wait for it
        assert time.perf_counter() - t0 < 0.2
        c.settle(30)
        items = c.collect(1)["containers"]
        assert len(items) == 300 and len({x["id"] for x in items}) == 300
        c.close()


def test_a_pipelined_poll_of_300_containers_gives_each_its_own_values(tmp_path: Path) -> None:
    clock = Clock()
    cs = {c["id"]: c for c in (container(i, cpu_ns=0, system_ns=10**12, rx=i, tx=2 * i, mem=10_000 + i)
                               for i in range(300))}
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        c = ContainersCollector(engine["path"], interval=10, clock=clock)
        c.settle(30)
        first = c.collect(0)["containers"]
        assert [x["mem_bytes"] for x in first] == [10_000 + i for i in range(300)]
        clock.t += 10
        for i, x in enumerate(cs.values()):  # container i: i/10 of a CPU of 100, i and 2i bytes/s more traffic
            x.update(cpu_ns=i * 10**8, system_ns=10**12 + 100 * 10**9, rx=i + 10 * i, tx=2 * i + 20 * i)
        c.refresh()
        c.settle(30)
        items = c.collect(10)["containers"]
        assert [x["name"] for x in items] == [f"app-{i}" for i in range(300)]
        assert [x.get("cpu_percent") for x in items] == [round(i / 10, 2) for i in range(300)]
        assert [(x["net_rx_bytes_per_s"], x["net_tx_bytes_per_s"]) for x in items] == \
            [(float(i), float(2 * i)) for i in range(300)]
        assert engine["hits"] == {"list": 2, "inspect": 300, "stats": 600, "df": 0}
        c.close()


def test_a_container_gone_between_list_and_stats_loses_its_stats_not_its_neighbours(tmp_path: Path) -> None:
    cs = {c["id"]: c for c in (container(i, system_ns=10**12, mem=1000 + i) for i in range(100))}
    gone = {33, 70}  # 404 on its stats (and inspect) mid-batch, in the first pipelined batch and in the second
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        engine["gone"].update(f"{i:064x}" for i in gone)
        c = ContainersCollector(engine["path"], interval=10)
        c.settle(10)
        items = c.collect(0)["containers"]
        assert len(items) == 100
        assert items[33] == {"id": f"{33:064x}", "name": "app-33", "image": "registry.example.com/app:5",
                             "state": "running"}
        assert [x["mem_bytes"] for x in items if "mem_bytes" in x] == [1000 + i for i in range(100) if i not in gone]
        assert [x["restart_count"] for x in items if "restart_count" in x] == [0] * 98
        assert engine["hits"] == {"list": 1, "inspect": 98, "stats": 98, "df": 0}
        c.close()


def test_a_restart_between_polls_is_seen_by_its_status_though_the_state_stays_running(tmp_path: Path) -> None:
    clock = Clock()
    cs = {c["id"]: c for c in (container(i, system_ns=10**12) for i in range(3))}
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        c = ContainersCollector(engine["path"], interval=10, clock=clock)
        c.settle(5)
        assert c.collect(0)["containers_restarting"] == 0 and engine["hits"]["inspect"] == 3
        for _ in range(2):  # the same list: nothing inspected again
            clock.t += 10
            c.refresh()
            c.settle(5)
        assert engine["hits"]["inspect"] == 3
        cs[f"{1:064x}"].update(restarts=1, status="Up 4 seconds")  # restarted within the 10 s: running again
        clock.t += 10
        c.refresh()
        c.settle(5)
        fields = c.collect(30)
        assert fields["containers_restarting"] == 1 and engine["hits"]["inspect"] == 4
        assert [x["restart_count"] for x in fields["containers"]] == [0, 1, 0]
        c.close()


def test_no_docker_means_no_field(tmp_path: Path) -> None:
    c = ContainersCollector(str(tmp_path / "missing.sock"), interval=10)
    c.settle(5)
    assert c.collect(0) == {}
