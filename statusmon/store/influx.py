"""The InfluxDB backend: line protocol to ``/write`` and InfluxQL on ``/query`` (the v1 HTTP API).

That one path works on 1.x, 2.x (>= 2.4, through its v1 compatibility API) and 3.x, and it is the one tested
here for real (Debian's influxd 1.6.7). Writes are synchronous: when ``write`` returns, the server has
the points.

Series identity is minimal and stable: tags are ``client_id`` and ``host``, plus ``mount`` (disk), ``gpu``
(the GPU index as a string), ``iface`` (net), ``device`` (diskio), ``sensor`` (temp: "chip/label") or
``container`` (its name). Everything else is a field, so re-sending a sample overwrites the same points.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import requests

from statusmon.config import Settings
from statusmon.metrics import FAMILY_FIELDS, FAMILY_KEY, metric
from statusmon.store import lineprotocol as lp
from statusmon.store.base import EMPTY_STATS, FieldStats, Sample, Series, StoreError, StoreUnavailable, Value
from statusmon.store.influxtiers import DAY_SUFFIX, InfluxTiers
from statusmon.store.influxv2 import V2Api
from statusmon.store.influxwire import WirePool, auth_header
from statusmon.store.tiers import ROLLUP_FIELDS, TIERS

log = logging.getLogger(__name__)

CHUNK_POINTS = 5000
RP_NAME = "week"  # the retention policy created with the database on 1.x
MEASUREMENTS = ("system", "disk", "gpu", "net", "diskio", "temp", "container")
# The day tier's measurements (statusmon/store/influxtiers.py), for the families that have tiers.
DAY_MEASUREMENTS = tuple(f + DAY_SUFFIX for f, fields in ROLLUP_FIELDS.items() if fields)
# InfluxDB's time range (models.MinNanoTime / MaxNanoTime): a query bound outside it is an error.
MAX_GET_QUERY = 2000  # characters of InfluxQL sent in a GET's URL; longer reads are POSTed
MIN_NS = -9223372036854775806
MAX_NS = 9223372036854775806


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal in single quotes."""
    if "\n" in value or "\r" in value:
        raise ValueError("a string literal must not contain a line break")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class InfluxStore:
    """TimeSeriesStore over InfluxDB's v1 HTTP API: reads with ``requests``, writes over store/influxwire.py."""

    backend = "influxdb"
    # The retention settings: 1.x alters the retention policies, 2.x patches the buckets (``set_retention``).
    # 3.x fixes a database's retention at its creation: nothing to act on. prune() does nothing (InfluxDB expires).
    RETENTION_SETTINGS = frozenset({"retention_days", "minute_retention_days", "hour_retention_days"})

    def __init__(self, url: str, db: str = "statusmon", rp: str = "", token: str = "", user: str = "",
                 password: str = "", timeout: float = 10.0, retention_days: int = 7,
                 query_timeout: float | None = None, tier_days: Mapping[str, int] | None = None) -> None:
        self.url = url.rstrip("/")
        self.db = db
        self.rp = rp
        # ``timeout`` bounds connecting and every write, ping and change; a SELECT may compute for longer
        # (exact stats over 7 days of 1 s data take seconds on a busy 1.6.7), up to ``query_timeout``.
        self.timeout = timeout
        self.query_timeout = max(timeout, 60.0) if query_timeout is None else query_timeout
        self.retention_days = retention_days
        self.tier_days = {t.name: t.default_days for t in TIERS} | dict(tier_days or {})
        self.tiers = InfluxTiers(self)
        self.version: str | None = None
        self._ready = False
        self._ready_lock = threading.Lock()
        self._auth_kind = "token" if token else "basic" if user else "none"
        self.session = requests.Session()
        # Proxy settings from the environment are honoured, but looked up once here rather than on every
        # request (requests re-reads the environment per call: about 5 % of the API's CPU under ingest).
        self.session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.session.trust_env = False
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        elif user:
            self.session.auth = (user, password)
        # Writes (the ingest path) skip requests unless a proxy applies: see statusmon/store/influxwire.py.
        self._wire = (None if self.session.proxies else
                      WirePool(self.url, timeout, auth_header(token, user, password), self.session.verify))

    @classmethod
    def from_settings(cls, settings: Settings) -> InfluxStore:
        return cls(settings.influx_url, db=settings.influx_db, rp=settings.influx_rp,
                   token=settings.influx_token, user=settings.influx_user,
                   password=settings.influx_password, timeout=settings.influx_timeout,
                   retention_days=settings.retention_days,
                   tier_days={"minute": settings.minute_retention_days, "hour": settings.hour_retention_days})

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def honours_settings(self) -> frozenset[str]:
        return self.RETENTION_SETTINGS if self.major() in ("1", "2") else frozenset()

    def major(self) -> str:
        """The server's major version from /ping's X-Influxdb-Version ("" until known)."""
        return (self.version or "").lstrip("v").split(".", 1)[0]

    def set_retention(self, tier: str, days: int) -> None:
        """Keep ``tier`` ("raw", "minute", "hour") for ``days``: 1.x ALTER RETENTION POLICY, 2.x the bucket's
        retention rule (statusmon/store/influxv2.py); StoreError on 3.x, whose retention is fixed."""
        self._ensure_ready()
        rp = self._tier_rp(tier)
        if self.major() == "2":
            V2Api(self).set_retention(rp, days)
            return
        if self.major() != "1":
            raise StoreError(f"InfluxDB {self.version or '(version unknown)'} cannot change a database's retention: "
                             f"create a database per tier with the retention you want (README)")
        if rp is None:
            rp = self._default_rp()
        # The shard duration InfluxDB would pick for the new duration: a shorter policy than its shards is refused.
        shard = "1h" if days < 2 else "1d" if days <= 180 else "7d"
        self._query(f"ALTER RETENTION POLICY {quote_ident(rp)} ON {quote_ident(self.db)} DURATION {int(days)}d "
                    f"SHARD DURATION {shard}")
        log.info("InfluxDB retention policy %r now keeps %d days", rp, days)

    def policy_days(self, tier: str) -> float | None:
        """The duration of ``tier``'s retention policy in days (1.x; None elsewhere or when infinite)."""
        rp = self._tier_rp(tier) or self._default_rp()
        for row in self._series(self._query(f"SHOW RETENTION POLICIES ON {quote_ident(self.db)}")):
            cols = row["columns"]
            for v in row.get("values") or ():
                r = dict(zip(cols, v, strict=False))
                if r["name"] == rp:
                    return _duration_hours(str(r["duration"])) / 24 or None
        return None

    def _tier_rp(self, tier: str) -> str | None:
        if tier == "raw":
            return self.rp or None
        if tier not in {t.name for t in TIERS}:
            raise ValueError(f"unknown tier {tier!r}")
        return tier

    def _default_rp(self) -> str:
        for row in self._series(self._query(f"SHOW RETENTION POLICIES ON {quote_ident(self.db)}")):
            cols = row["columns"]
            for v in row.get("values") or ():
                r = dict(zip(cols, v, strict=False))
                if r.get("default"):
                    return str(r["name"])
        raise StoreError(f"database {self.db!r} has no default retention policy")

    def describe(self) -> str:
        rp = self.rp or "(default retention policy)"
        version = f", server {self.version}" if self.version else ""
        return f"InfluxDB at {self.url}, database {self.db!r}, rp {rp}, auth {self._auth_kind}{version}"

    def ping(self) -> None:
        resp = self._request("GET", "/ping")
        # 1.x and 2.x answer 204; any other success is not "down" either.
        if not 200 <= resp.status_code < 300:
            raise StoreUnavailable(f"InfluxDB /ping answered {resp.status_code}")
        self.version = resp.headers.get("X-Influxdb-Version") or self.version

    def ensure_database(self) -> None:
        """Create the database with a ``retention_days`` retention policy on 1.x; on 2.x/3.x create nothing.

        Called on start and, if that has not happened, before the first read or write.
        """
        self.ping()
        version = self.version or ""
        major = version.lstrip("v").split(".", 1)[0]
        if major != "1":
            # 2.x refuses CREATE over /query and 3.x fixes retention at database creation: the bucket's
            # (or database's) retention is the operator's job there.
            log.info("InfluxDB %s: not creating database %r; set its retention (%d days) on the bucket",
                     version or "(version unknown)", self.db, self.retention_days)
            self._ready = True
            return
        databases = {row[0] for row in self._rows(self._query("SHOW DATABASES"))}
        if self.db not in databases:
            self._query(f"CREATE DATABASE {quote_ident(self.db)} WITH DURATION {int(self.retention_days)}d "
                       f"REPLICATION 1 NAME {quote_ident(RP_NAME)}")
            log.info("created InfluxDB database %r with retention policy %r of %d days",
                     self.db, RP_NAME, self.retention_days)
        policies = {row[0] for row in self._rows(self._query(f"SHOW RETENTION POLICIES ON "
                                                            f"{quote_ident(self.db)}"))}
        for tier in TIERS:  # the rollup tiers' policies (statusmon/store/influxtiers.py), never the default
            if tier.name not in policies:
                self._query(f"CREATE RETENTION POLICY {quote_ident(tier.name)} ON {quote_ident(self.db)} "
                            f"DURATION {int(self.tier_days[tier.name])}d REPLICATION 1")
                log.info("created InfluxDB retention policy %r of %d days", tier.name, self.tier_days[tier.name])
        if self.rp:
            if self.rp not in policies:
                raise StoreError(f"retention policy {self.rp!r} does not exist on database {self.db!r} "
                                 f"(it has {sorted(policies)})")
        log.info("InfluxDB %s: writing to database %r, retention policy %s", version, self.db,
                 repr(self.rp) if self.rp else "(the database's default)")
        self._ready = True

    def close(self) -> None:
        self.session.close()
        if self._wire is not None:
            self._wire.close()

    # -- writing ---------------------------------------------------------------------------------------

    def write(self, client_id: str, host: str, samples: Sequence[Sample]) -> int:
        lines = list(self.lines(client_id, host, samples))  # the whole batch is checked before anything goes
        self._ensure_ready()
        for i in range(0, len(lines), CHUNK_POINTS):
            self._write_lines(lines[i:i + CHUNK_POINTS])
        return len(samples)

    def write_many(self, batches: Sequence[tuple[str, str, Sequence[Sample]]]) -> int:
        """Several clients' batches in one request (the API's group commit); all are checked first."""
        lines = [line for client_id, host, samples in batches
                 for line in self.lines(client_id, host, samples)]
        self.write_lines(lines)
        return sum(len(samples) for _, _, samples in batches)

    @staticmethod
    def lines(client_id: str, host: str, samples: Sequence[Sample]) -> Iterator[str]:
        """Line protocol for ``samples``; raises ValueError on anything that cannot be stored as is."""
        base = {"client_id": client_id, "host": host}
        system_key = lp.series_key("system", base)
        system, disk, gpu = lp.field_set_of("system"), lp.field_set_of("disk"), lp.field_set_of("gpu")
        disk_keys: dict[str, str] = {}
        gpu_keys: dict[int, str] = {}
        detail_keys: dict[tuple[str, str], str] = {}
        for s in samples:
            ts = s.ts
            if isinstance(ts, bool) or not isinstance(ts, int):
                raise ValueError(f"sample timestamp must be integer seconds, got {ts!r}")
            body = system(s.values)
            if body is not None:
                yield f"{system_key} {body} {ts}"
            for d in s.disks:
                body = disk(d.fields())
                if body is not None:
                    key = disk_keys.get(d.mount)
                    if key is None:
                        key = disk_keys[d.mount] = lp.series_key("disk", {**base, "mount": d.mount})
                    yield f"{key} {body} {ts}"
            for g in s.gpus:
                body = gpu(g.fields())
                if body is not None:
                    gkey = gpu_keys.get(g.index)
                    if gkey is None:
                        gkey = gpu_keys[g.index] = lp.series_key("gpu", {**base, "gpu": str(g.index)})
                    yield f"{gkey} {body} {ts}"
            for family, records in s.details():
                for r in records:
                    body = lp.field_set(r.fields(), family)
                    if body is not None:
                        dkey = detail_keys.get((family, r.key))
                        if dkey is None:
                            dkey = detail_keys[(family, r.key)] = lp.series_key(
                                family, {**base, str(FAMILY_KEY[family]): r.key})
                        yield f"{dkey} {body} {ts}"

    def write_lines(self, lines: Sequence[str], rp: str | None = None) -> None:
        """Write already built lines (tests, tools, the rollup tiers' ``rp``), chunked like ``write``."""
        self._ensure_ready()
        for i in range(0, len(lines), CHUNK_POINTS):
            self._write_lines(lines[i:i + CHUNK_POINTS], rp)

    def _write_lines(self, lines: Sequence[str], rp: str | None = None) -> None:
        if not lines:
            return
        params = {"db": self.db, "precision": "s"}
        if rp or self.rp:
            params["rp"] = rp or self.rp
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if self._wire is None:
            resp = self._request("POST", "/write", params=params, data=lp.join(lines), headers=headers)
            status, text, reason = resp.status_code, resp.text, resp.reason
        else:
            try:
                reply = self._wire.post("/write", params, lp.join(lines), headers)
            except OSError as e:
                raise StoreUnavailable(f"InfluxDB at {self.url} is unreachable: {e}") from e
            status, text, reason = reply.status, reply.body.decode("utf-8", "replace"), ""
            _raise_if_down(status, text, reason)
        if not 200 <= status < 300:
            raise StoreError(f"InfluxDB refused the write ({status}): {_error_message(text, reason)}")

    # -- reading ---------------------------------------------------------------------------------------

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> dict[str, FieldStats]:
        fields = list(dict.fromkeys(fields))
        for f in fields:
            _check_field("system", f)
        if not fields:
            return {}
        # All fields in one query: one round trip and one consistent view of the data. Concurrent
        # per-field queries were no faster on 1.6.7 (604,800 points x 6 fields, 2 cores: see the commit).
        exprs = []
        for i, f in enumerate(fields):
            q = quote_ident(f)
            exprs += [f'count({q}) AS "c{i}"', f'min({q}) AS "lo{i}"', f'max({q}) AS "hi{i}"',
                      f'mean({q}) AS "avg{i}"', f'percentile({q}, 95) AS "p{i}"']
        text = (f"SELECT {', '.join(exprs)} FROM {self._from('system')} "
                f"WHERE {self._where(start, end, [client_id])}")
        rows = [dict(zip(s["columns"], s["values"][0], strict=False))
                for s in self._series(self.query(text)) if s.get("values")]
        row = rows[0] if rows else {}
        out: dict[str, FieldStats] = {}
        for i, f in enumerate(fields):
            count = int(row.get(f"c{i}") or 0)
            if not count:
                out[f] = EMPTY_STATS
                continue
            out[f] = FieldStats(count, _num(row.get(f"lo{i}")), _num(row.get(f"hi{i}")),
                                _num(row.get(f"avg{i}")), _num(row.get(f"p{i}")))
        return out

    def series(self, client_id: str, start: int, end: int, step: int | None,
               family: str = "system", fields: Sequence[str] | None = None) -> dict[str, Series]:
        fields = self._fields(family, fields)
        key_tag = FAMILY_KEY[family]
        group = [key_tag] if key_tag else []
        where = self._where(start, end, [client_id])
        if step is None:
            select = ", ".join(quote_ident(f) for f in fields)
        else:
            if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
                raise ValueError(f"step must be a positive number of seconds, got {step!r}")
            select = ", ".join(f"mean({quote_ident(f)}) AS {quote_ident(f)}, "
                               f"max({quote_ident(f)}) AS {quote_ident('max_' + f)}" for f in fields)
        text = f"SELECT {select} FROM {self._from(family)} WHERE {where}"
        if step is not None:
            text += f" GROUP BY time({step}s)" + "".join(f", {quote_ident(t)}" for t in group) + " fill(none)"
        elif group:
            text += " GROUP BY " + ", ".join(quote_ident(t) for t in group)
        out: dict[str, Series] = {}
        for s in self._series(self.query(text)):
            tags = s.get("tags") or {}
            key = tags.get(key_tag, "") if key_tag else ""
            out[key] = _to_series(family, fields, s, step)
        return out

    def points(self, family: str, start: int, end: int, fields: Sequence[str] | None = None,
               client_ids: Sequence[str] | None = None) -> dict[tuple[str, str], Series]:
        fields = self._fields(family, fields)
        if client_ids is not None and not client_ids:
            return {}
        key_tag = FAMILY_KEY[family]
        tags = ["client_id"] + ([key_tag] if key_tag else [])
        # Tags as columns rather than GROUP BY: one series in the reply instead of one per client and mount
        # (a fleet of 1,000 hosts is 5,000 series otherwise), which InfluxDB and the JSON parser both feel.
        text = (f"SELECT {', '.join(quote_ident(f) for f in [*fields, *tags])} FROM {self._from(family)} "
                f"WHERE {self._where(start, end, client_ids)}")
        rows: dict[tuple[str, str], list[list[Any]]] = {}
        columns: list[str] = []
        for s in self._series(self.query(text)):
            columns = s["columns"]
            at_client = columns.index("client_id")
            at_key = columns.index(key_tag) if key_tag else None
            for row in s.get("values") or []:
                key = (row[at_client] or "", (row[at_key] or "") if at_key is not None else "")
                rows.setdefault(key, []).append(row)
        return {key: _to_series(family, fields, {"columns": columns, "values": values}, None)
                for key, values in rows.items()}

    def first_time(self, family: str, start: int, end: int) -> int | None:
        # Every field (a point may lack any one of them); without GROUP BY the series are merged in time order.
        text = f"SELECT * FROM {self._from(family)} WHERE {self._where(start, end, None)} LIMIT 1"
        rows = list(self._rows(self.query(text)))
        return int(rows[0][0]) if rows else None

    # -- deleting --------------------------------------------------------------------------------------

    def delete_client(self, client_id: str) -> None:
        # DROP SERIES removes the points and the index entries on 1.x (DELETE would leave the series), in every
        # retention policy (so every tier). 2.x refuses it over /query: its delete API, bucket by bucket. 3.x
        # refuses both: the refusal comes back as a StoreError with the server's words.
        self._ensure_ready()
        if self.major() == "2":
            v2 = V2Api(self)
            for rp in (self.rp or None, *(t.name for t in TIERS)):
                v2.delete_client(rp, client_id)
            return
        froms = ", ".join(quote_ident(m) for m in (*MEASUREMENTS, *DAY_MEASUREMENTS))
        self.query(f"DROP SERIES FROM {froms} WHERE {quote_ident('client_id')} = {quote_string(client_id)}")

    def prune(self, older_than: int) -> int:
        return 0  # the retention policy (1.x) or the bucket's retention (2.x/3.x) does it

    # -- InfluxQL over HTTP ----------------------------------------------------------------------------

    def query(self, text: str) -> list[dict[str, Any]]:
        """Run InfluxQL (after ``ensure_database`` has run once); return the statement results."""
        self._ensure_ready()
        return self._query(text)

    def _query(self, text: str) -> list[dict[str, Any]]:
        # GET for reads; 1.x refuses CREATE/DROP/DELETE/ALTER over GET. A long read (points() of many
        # clients) goes as a POST form too, so no proxy's URL limit cuts it.
        read = text.lstrip().split(None, 1)[0].upper() in ("SELECT", "SHOW")
        # chunked: a server with a max-row-limit would otherwise cut long results short ("partial").
        params = {"db": self.db, "epoch": "s", "chunked": "true", "chunk_size": "10000"}
        if read and len(text) <= MAX_GET_QUERY:
            resp = self._request("GET", "/query", params={"q": text, **params}, read_timeout=self.query_timeout)
        else:
            resp = self._request("POST", "/query", params=params, data={"q": text},
                                 read_timeout=self.query_timeout if read else None)
        if not 200 <= resp.status_code < 300:
            raise StoreError(f"InfluxDB refused the query ({resp.status_code}): {_error_text(resp)}")
        results = _merge_chunks(_json_documents(resp.text))
        for r in results:
            if "error" in r:
                raise StoreError(f"InfluxDB query failed: {r['error']}")
        return results

    def _request(self, method: str, path: str, read_timeout: float | None = None,
                 **kwargs: Any) -> requests.Response:
        timeout = (self.timeout, read_timeout or self.timeout)
        try:
            resp = self.session.request(method, self.url + path, timeout=timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise StoreUnavailable(f"InfluxDB at {self.url} is unreachable: {e}") from e
        except requests.RequestException as e:
            raise StoreError(f"InfluxDB request failed: {e}") from e
        _raise_if_down(resp.status_code, resp.text, resp.reason)
        return resp

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.ensure_database()

    def _from(self, measurement: str) -> str:
        if self.rp:
            return f"{quote_ident(self.db)}.{quote_ident(self.rp)}.{quote_ident(measurement)}"
        return quote_ident(measurement)

    @staticmethod
    def _where(start: int, end: int, client_ids: Sequence[str] | None) -> str:
        parts = [f"time >= {_ns(start)}", f"time < {_ns(end)}"]
        if client_ids is not None:
            parts.insert(0, "(" + " OR ".join(f"{quote_ident('client_id')} = {quote_string(c)}"
                                              for c in client_ids) + ")")
        return " AND ".join(parts)

    @staticmethod
    def _fields(family: str, fields: Sequence[str] | None) -> list[str]:
        if family not in FAMILY_FIELDS:
            raise ValueError(f"unknown family {family!r}")
        names = list(dict.fromkeys(fields or FAMILY_FIELDS[family]))  # none asked for: all of them
        for f in names:
            _check_field(family, f)
        return names

    @staticmethod
    def _series(results: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for r in results:
            yield from r.get("series") or ()

    def _rows(self, results: list[dict[str, Any]]) -> Iterator[list[Any]]:
        for s in self._series(results):
            yield from s.get("values") or ()


def _check_field(family: str, name: str) -> None:
    try:
        metric(name, family)
    except KeyError:
        raise ValueError(f"unknown {family} field {name!r}") from None


def _to_series(family: str, fields: Sequence[str], s: Mapping[str, Any], step: int | None) -> Series:
    columns = s["columns"]
    values = s.get("values") or []
    idx = {c: i for i, c in enumerate(columns)}
    maxima: dict[str, list[Value]] = {}
    out = Series(step=step, time=[int(row[0]) for row in values], maxima=None if step is None else maxima)
    for f in fields:
        integer = metric(f, family).integer
        # One comprehension per column (no Python call per value): a 24 h chart is about 100,000 values.
        # Raw integer fields stay integers; a mean is a float; a maximum keeps the field's type.
        out.values[f] = _column(values, idx[f], int if step is None and integer else float)
        if step is not None:
            maxima[f] = _column(values, idx["max_" + f], int if integer else float)
    return out


def _column(rows: list[list[Any]], col: int, kind: type) -> list[Value]:
    return [None if (v := row[col]) is None else kind(v) for row in rows]


def _ns(seconds: int) -> int:
    """Unix seconds as an InfluxQL time literal in nanoseconds, clamped to what InfluxDB can represent."""
    return max(MIN_NS, min(MAX_NS, int(seconds) * 1_000_000_000))


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _json_documents(text: str) -> Iterator[Any]:
    """Every JSON document in ``text``: one (plain response) or one per chunk (``chunked=true``)."""
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise StoreError(f"InfluxDB sent an unreadable response: {e}") from e
        yield doc


def _merge_chunks(docs: Iterable[Any]) -> list[dict[str, Any]]:
    """Merge chunked responses: a series split across chunks (``partial``) becomes one."""
    by_id: dict[int, dict[str, Any]] = {}
    for doc in docs:
        if "error" in doc and "results" not in doc:
            raise StoreError(f"InfluxDB query failed: {doc['error']}")
        for r in doc.get("results") or ():
            sid = int(r.get("statement_id", 0))
            merged = by_id.setdefault(sid, {"statement_id": sid, "series": []})
            if "error" in r:
                merged["error"] = r["error"]
            for s in r.get("series") or ():
                last = merged["series"][-1] if merged["series"] else None
                if (last is not None and last.get("name") == s.get("name")
                        and last.get("tags") == s.get("tags") and last.get("columns") == s.get("columns")):
                    last["values"].extend(s.get("values") or [])
                else:
                    merged["series"].append({**s, "values": list(s.get("values") or [])})
    return [by_id[k] for k in sorted(by_id)]


def _raise_if_down(status: int, text: str, reason: str) -> None:
    """A 5xx means InfluxDB is down or overloaded (503 with Retry-After upstream), not that it refused."""
    if status >= 500:
        raise StoreUnavailable(f"InfluxDB answered {status}: {_error_message(text, reason)}")


def _error_text(resp: requests.Response) -> str:
    return _error_message(resp.text, resp.reason)


def _error_message(text: str, reason: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:500] or reason
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)[:500]
    return str(body)[:500]


def _duration_hours(text: str) -> float:
    """InfluxDB's duration ("168h0m0s", "0s" for infinite) in hours."""
    hours = minutes = seconds = 0.0
    num = ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            num += ch
            continue
        if ch == "h":
            hours = float(num or 0)
        elif ch == "m":
            minutes = float(num or 0)
        elif ch == "s":
            seconds = float(num or 0)
        num = ""
    return hours + minutes / 60 + seconds / 3600
