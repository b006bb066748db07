"""Line protocol by hand: escaping on literal inputs, then property tests through a real influxd 1.6.7."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusmon.store import lineprotocol as lp
from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.influx import InfluxStore, quote_ident, quote_string
from tests.support.influxd import Influxd, start_influxd

# -- escaping on literal inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "escaped"), [
    ("system", "system"),
    ("a b", "a\\ b"),
    ("a,b", "a\\,b"),
    ("a=b", "a=b"),  # an equals sign needs no escape in a measurement
    ('a"b', 'a"b'),
])
def test_measurement_escapes_comma_and_space(raw: str, escaped: str) -> None:
    assert lp.escape_measurement(raw) == escaped


@pytest.mark.parametrize(("raw", "escaped"), [
    ("mount", "mount"),
    ("/mnt/my disk", "/mnt/my\\ disk"),
    ("a,b=c", "a\\,b\\=c"),
    ("C:\\data", "C:\\data"),  # a backslash before an ordinary character is kept as is
    ("a\\ b", "a\\\\ b"),  # ...and before an escaped one it stays in front of the escape
    ('"quoted"', '"quoted"'),
    ("ünï cødé", "ünï\\ cødé"),
])
def test_tag_values_and_keys_escape_comma_equals_and_space(raw: str, escaped: str) -> None:
    assert lp.escape_tag_value(raw) == escaped
    assert lp.escape_key(raw) == escaped


@pytest.mark.parametrize(("raw", "quoted"), [
    ("plain", '"plain"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("ends with \\", '"ends with \\\\"'),
    ("a, b = c", '"a, b = c"'),  # commas, spaces and equals signs are fine inside quotes
])
def test_string_field_values_escape_quote_and_backslash(raw: str, quoted: str) -> None:
    assert lp.escape_string_value(raw) == quoted


@pytest.mark.parametrize("bad", [
    "", "a\nb", "a\rb", "\n", "tab\there", "nul\x00", "del\x7f", "c1\x85", "ls\u2028", "ends\\", "\\",
    "x" * 257,
])
def test_it_refuses_tag_values_that_could_inject_or_change_a_point(bad: str) -> None:
    with pytest.raises(ValueError):
        lp.validate_tag_value(bad)


@pytest.mark.parametrize("bad", [None, 1, b"bytes"])
def test_it_refuses_tag_values_that_are_not_strings(bad: object) -> None:
    with pytest.raises(ValueError):
        lp.validate_tag_value(bad)  # type: ignore[arg-type]


def test_it_accepts_tag_values_up_to_256_characters() -> None:
    assert lp.validate_tag_value("x" * 256) == "x" * 256
    assert lp.validate_tag_value("0123abcdef") == "0123abcdef"


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1.0"), (0, "0.0"), (3, "3.0"), (-2.5, "-2.5"), (1e16, "1e+16"), (1e-7, "1e-07"),
    (0.1, "0.1"), (1.7976931348623157e308, "1.7976931348623157e+308"),
])
def test_floats_always_carry_a_decimal_point_or_an_exponent(value: float, text: str) -> None:
    assert lp.format_field_value(value) == text


@pytest.mark.parametrize(("value", "text"), [(0, "0i"), (123, "123i"), (-5, "-5i"), (7.0, "7i"),
                                             (2**63 - 1, "9223372036854775807i")])
def test_integers_carry_the_i_suffix(value: float, text: str) -> None:
    assert lp.format_field_value(value, integer=True) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("integer", [False, True])
def test_it_refuses_non_finite_values(value: float, integer: bool) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        lp.format_field_value(value, integer=integer)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 1.5, True])
def test_it_refuses_integers_it_cannot_store_exactly(value: float) -> None:
    with pytest.raises(ValueError):
        lp.format_field_value(value, integer=True)


def test_it_omits_none_fields_and_sorts_tags() -> None:
    values = {"cpu_percent": 1.5, "ram_percent": None, "docker_bytes": 10}
    text = lp.point("system", {"host": "h 1", "client_id": "abc"}, values, 1700000000, family="system")
    assert text == "system,client_id=abc,host=h\\ 1 cpu_percent=1.5,docker_bytes=10i 1700000000"


def test_a_point_without_fields_is_skipped() -> None:
    assert lp.point("system", {"client_id": "a"}, {"cpu_percent": None}, 1, family="system") is None
    assert lp.point("system", {"client_id": "a"}, {}, 1, family="system") is None


def test_the_catalogue_decides_the_field_type() -> None:
    # docker_bytes is an integer metric even when the agent sent 5.0; cpu_percent a float even when sent 5.
    text = lp.point("system", {"client_id": "a"}, {"docker_bytes": 5.0, "cpu_percent": 5}, 1, family="system")
    assert text == "system,client_id=a docker_bytes=5i,cpu_percent=5.0 1"


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown system field"):
        lp.point("system", {"client_id": "a"}, {"bogus": 1.0}, 1, family="system")


def test_timestamps_must_be_integer_seconds() -> None:
    with pytest.raises(ValueError):
        lp.line("m", {}, {"f": "1.0"}, 1.5)  # type: ignore[arg-type]


def test_a_whole_sample_becomes_one_point_per_family_member() -> None:
    sample = Sample(
        ts=1700000000,
        values={"cpu_percent": 12.5, "docker_bytes": 1024, "gpu_percent": None},
        disks=(DiskSample("/", used_bytes=50, total_bytes=200),
               DiskSample("/mnt/big disk", used_bytes=1, total_bytes=4, inodes_used=3, inodes_total=6)),
        gpus=(GpuSample(0, uuid="GPU-1234", name="NVIDIA H100", util_percent=99.0, mem_used_bytes=2,
                        mem_total_bytes=8, temp_c=61.0, power_w=300.5),),
    )
    assert list(InfluxStore.lines("c0ffee", "web-1", [sample])) == [
        "system,client_id=c0ffee,host=web-1 cpu_percent=12.5,docker_bytes=1024i 1700000000",
        "disk,client_id=c0ffee,host=web-1,mount=/ used_bytes=50i,total_bytes=200i,used_percent=25.0"
        " 1700000000",
        "disk,client_id=c0ffee,host=web-1,mount=/mnt/big\\ disk used_bytes=1i,total_bytes=4i,inodes_used=3i,"
        "inodes_total=6i,used_percent=25.0,inodes_percent=50.0 1700000000",
        # uuid and name stay out of the tags: the series identity is client, host and index only.
        "gpu,client_id=c0ffee,gpu=0,host=web-1 util_percent=99.0,mem_used_bytes=2i,mem_total_bytes=8i,"
        "mem_percent=25.0,temp_c=61.0,power_w=300.5 1700000000",
    ]


# -- what the cases above left open (each found by infra/mutation.sh lineprotocol) ---------------------------


@pytest.mark.parametrize(("bad", "says"), [
    ("", "non-empty string"), (None, "non-empty string"), (3, "non-empty string"),
    ("a\nb", "control characters"), ("tab\there", "control characters"), ("ends\\", "end with a backslash"),
])
@pytest.mark.parametrize("escape", [lp.escape_measurement, lp.escape_key])
def test_it_refuses_names_that_are_empty_or_could_break_the_line(escape: object, bad: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        escape(bad)  # type: ignore[operator]


@pytest.mark.parametrize(("bad", "says"), [
    ("", "must not be empty"), ("x" * 257, "at most 256 characters, got 257"),
    ("a\nb", "control characters"), ("ends\\", "end with a backslash"), (7, "must be a string, not int"),
])
def test_a_refused_tag_value_says_why(bad: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        lp.validate_tag_value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["two\nlines", "carriage\rreturn"])
def test_string_field_values_refuse_line_breaks(bad: str) -> None:
    with pytest.raises(ValueError, match="must not contain a line break"):
        lp.format_field_value(bad)


def test_string_field_values_are_quoted_through_format_field_value() -> None:
    assert lp.format_field_value('say "hi"') == '"say \\"hi\\""'


@pytest.mark.parametrize(("bad", "says"), [(True, "boolean values are not stored"), (None, "not NoneType"),
                                           ([1], "not list")])
def test_field_values_other_than_numbers_and_strings_are_refused(bad: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        lp.format_field_value(bad)  # type: ignore[arg-type]


def test_the_signed_64_bit_range_is_exact_at_both_ends() -> None:
    assert lp.format_integer(-(2**63)) == "-9223372036854775808i"
    assert lp.format_integer(-200) == "-200i"
    with pytest.raises(ValueError, match="out of the signed 64-bit range"):
        lp.format_integer(-(2**63) - 1)
    with pytest.raises(ValueError, match="got a fraction"):
        lp.format_integer(1.5)


def test_without_a_family_ints_are_integers_and_the_rest_keeps_its_type() -> None:
    assert lp.field_set({"a": 1, "b": 2.5, "c": 'x"y', "d": None}) == 'a=1i,b=2.5,c="x\\"y"'
    assert lp.field_set({"d": None}) is None
    with pytest.raises(ValueError, match="boolean"):
        lp.field_set({"ok": True})


def test_a_family_outside_the_catalogue_refuses_every_field() -> None:
    with pytest.raises(ValueError, match="unknown nosuchfamily field 'cpu_percent'"):
        lp.field_set({"cpu_percent": 1.0}, family="nosuchfamily")


def _field_set_one_by_one(values: dict[str, object], family: str) -> str | None:
    """What a family's field set must be: each value through format_field_value with the catalogue's type."""
    from statusmon.metrics import ALL_METRICS

    integer = {m.name: m.integer for m in ALL_METRICS if m.family == family}
    parts = [lp.escape_key(k) + "=" + lp.format_field_value(v, integer[k])  # type: ignore[arg-type]
             for k, v in values.items() if v is not None]
    return ",".join(parts) if parts else None


_any_value = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64), st.floats(), st.text(max_size=4))


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(["system", "disk", "gpu"]).flatmap(
    lambda fam: st.tuples(st.just(fam), st.dictionaries(
        st.sampled_from(sorted(lp._INTEGER[fam])), _any_value, max_size=8))))
def test_a_familys_compiled_field_set_writes_or_refuses_exactly_what_format_field_value_does(
        case: tuple[str, dict[str, object]]) -> None:
    family, values = case
    try:
        expected: str | None | type[ValueError] = _field_set_one_by_one(values, family)
    except ValueError:
        expected = ValueError
    try:
        got: str | None | type[ValueError] = lp.field_set(values, family)  # type: ignore[arg-type]
    except ValueError:
        got = ValueError
    assert got == expected


def test_line_escapes_every_part_and_joins_fields_with_commas() -> None:
    text = lp.line("my m", {"t k": "a,b"}, {"f k": "1.0", "g": "2i"}, 1700000000)
    assert text == "my\\ m,t\\ k=a\\,b f\\ k=1.0,g=2i 1700000000"
    with pytest.raises(ValueError, match="at least one field"):
        lp.line("m", {}, {}, 1)
    with pytest.raises(ValueError, match="integer seconds, got True"):
        lp.line("m", {}, {"f": "1.0"}, True)


def test_join_puts_one_point_per_line_in_utf8() -> None:
    assert lp.join(["a f=1.0 1", "ü f=2.0 2"]) == "a f=1.0 1\nü f=2.0 2".encode()


@pytest.mark.parametrize(("raw", "quoted"), [
    ("abc", "'abc'"), ("it's", "'it\\'s'"), ("a\\b", "'a\\\\b'"), ("\\'", "'\\\\\\''"),
])
def test_influxql_string_literals_escape_quote_and_backslash(raw: str, quoted: str) -> None:
    assert quote_string(raw) == quoted


def test_influxql_identifiers_are_double_quoted() -> None:
    assert quote_ident("cpu_percent") == '"cpu_percent"'
    assert quote_ident('we"ird\\') == '"we\\"ird\\\\"'


# -- property tests against a real influxd -----------------------------------------------------------------

DB = "lp_props"
BASE_TS = (int(time.time()) // 3600 - 24) * 3600  # inside the default (infinite) retention policy anyway
_ts = itertools.count(BASE_TS)

# Everything validate_tag_value accepts: printable text (no controls, no surrogates), 1..256 characters,
# not ending in a backslash; biased towards the characters that need escaping.
_SPECIAL = st.sampled_from([" ", ",", "=", "\\", '"', "'", "#", "\u00e9", "\U0001f600"])
_PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029")
tag_values = st.text(st.one_of(_SPECIAL, _PRINTABLE), min_size=1, max_size=256).filter(
    lambda s: not s.endswith("\\"))
string_values = st.text(st.one_of(_SPECIAL, _PRINTABLE, st.sampled_from(["\t"])), max_size=300)

bad_tag_values = st.one_of(
    st.just(""),
    st.text(min_size=257, max_size=300).filter(lambda s: "\\" not in s[-1:]),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=5),
              st.sampled_from(["\n", "\r", "\x00", "\x1b", "\x7f"]), st.text(max_size=5)),
    st.builds(lambda a: a + "\\", st.text(max_size=5)),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    with start_influxd(tmp_path_factory.mktemp("influxd-lp")) as influx:
        resp = requests.post(influx.url + "/query", params={"q": f"CREATE DATABASE {DB}"}, timeout=10)
        resp.raise_for_status()
        yield influx


def _write(server: Influxd, body: str) -> requests.Response:
    return requests.post(server.url + "/write", params={"db": DB, "precision": "s"}, data=body.encode(),
                         timeout=10)


def _select(server: Influxd, q: str) -> list[list[object]]:
    resp = requests.get(server.url + "/query", params={"db": DB, "q": q, "epoch": "s"}, timeout=10)
    resp.raise_for_status()
    result = resp.json()["results"][0]
    assert "error" not in result, result
    series = result.get("series") or []
    return [row for s in series for row in s["values"]]


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.influx
@PROPS
@given(tag=tag_values, text=string_values)
def test_tag_and_string_values_come_back_unchanged(server: Influxd, tag: str, text: str) -> None:
    ts = next(_ts)
    body = lp.line("prop", {"t": tag}, {"s": lp.escape_string_value(text), "f": "1.0"}, ts)
    resp = _write(server, body)
    assert resp.status_code == 204, (body, resp.text)
    # Found again through an InfluxQL string literal: quote_string escapes what the line protocol did not.
    rows = _select(server, f'SELECT "s", "t" FROM "prop" WHERE "t" = {quote_string(tag)} AND time = {ts}s')
    assert rows == [[ts, text, tag]]


@pytest.mark.influx
@PROPS
@given(key=st.text(st.one_of(_SPECIAL, _PRINTABLE), min_size=1, max_size=64).filter(
    lambda s: not s.endswith("\\") and s != "time"))
def test_field_keys_and_identifiers_come_back_unchanged(server: Influxd, key: str) -> None:
    ts = next(_ts)
    resp = _write(server, lp.line("keys", {}, {key: "2.5"}, ts))
    assert resp.status_code == 204, resp.text
    assert _select(server, f'SELECT {quote_ident(key)} FROM "keys" WHERE time = {ts}s') == [[ts, 2.5]]


@pytest.mark.influx
@PROPS
@given(f=st.floats(allow_nan=False, allow_infinity=False), i=st.integers(-(2**63), 2**63 - 1))
def test_numbers_come_back_exactly_with_their_type(server: Influxd, f: float, i: int) -> None:
    ts = next(_ts)
    fields = {"f": lp.format_field_value(f), "i": lp.format_field_value(i, integer=True)}
    body = lp.line("nums", {}, fields, ts)
    assert _write(server, body).status_code == 204
    [[t, got_f, got_i]] = _select(server, f'SELECT "f", "i" FROM "nums" WHERE time = {ts}s')
    assert float(got_f) == f  # type: ignore[arg-type]
    assert got_i == i and isinstance(got_i, int)


def _count_points(server: Influxd) -> int:
    rows = _select(server, 'SELECT count(*) FROM "system", "disk", "gpu"')
    return sum(int(v) for row in rows for v in row[1:] if v is not None)  # type: ignore[call-overload]


@pytest.mark.influx
@PROPS
@given(bad=bad_tag_values, where=st.sampled_from(["client_id", "host", "mount"]))
def test_invalid_tag_values_are_refused_before_anything_is_written(server: Influxd, bad: str,
                                                                   where: str) -> None:
    store = InfluxStore(server.url, db=DB)
    ts = next(_ts)
    good = Sample(ts, {"cpu_percent": 1.0}, disks=(DiskSample("/", 1, 2),))
    mount = bad if where == "mount" else "/"
    poisoned = Sample(ts + 1, {"cpu_percent": 2.0}, disks=(DiskSample(mount, 1, 2),))
    client_id = bad if where == "client_id" else "abc"
    host = bad if where == "host" else "web-1"
    before = _count_points(server)
    try:
        with pytest.raises(ValueError):
            store.write(client_id, host, [good, poisoned])
    finally:
        store.close()
    assert _count_points(server) == before
