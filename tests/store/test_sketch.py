"""The p95 sketch: encoding, merging, and the error bound against an exact nearest-rank p95."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from statusmon.store.percentile import nearest_rank_index, percentile
from statusmon.store.sketch import LINEAR, LOG, Sketch, max_error


def p95_of(sketch: Sketch, values: list[float]) -> float | None:
    idx = nearest_rank_index(len(values), 95)
    if idx is None:
        return None
    v = sketch.at_rank(idx)
    assert v is not None
    return min(max(v, min(values)), max(values))


def sketch_of(unit: str, values: list[float]) -> Sketch:
    s = Sketch.for_unit(unit)
    s.add(values)
    return s


def test_it_round_trips_through_bytes_and_text() -> None:
    s = sketch_of("bytes", [0.0, 1.0, 5e9, 5e9, -3.0, 123456.0])
    assert Sketch.decode(s.encode()) == s
    assert Sketch.from_text(s.to_text()) == s
    p = sketch_of("percent", [0.0, 12.3, 99.9, 100.0, 100.0])
    assert Sketch.decode(p.encode()) == p
    assert p.mapping == LINEAR and s.mapping == LOG


def test_merging_equals_the_sketch_of_all_values() -> None:
    a, b = [1.0, 2.5, 70.2], [70.2, 99.0, 0.0]
    merged = sketch_of("percent", a)
    merged.merge(sketch_of("percent", b))
    assert merged == sketch_of("percent", a + b)
    assert merged.count == 6


def test_a_whole_percentage_is_exact() -> None:
    s = sketch_of("percent", [float(v) for v in range(101)])
    assert [s.at_rank(i) for i in range(101)] == [float(v) for v in range(101)]


def test_a_constant_series_gives_its_value() -> None:
    values = [42.42] * 500
    assert p95_of(sketch_of("percent", values), values) == 42.42
    assert p95_of(sketch_of("watts", values), values) == 42.42


percent_values = st.lists(st.one_of(st.floats(0, 100), st.sampled_from([0.0, 100.0, 99.95, 0.05])),
                          min_size=1, max_size=400)
positive_values = st.lists(st.one_of(st.floats(1e-3, 1e15), st.sampled_from([0.0, 1.0, 2**40])),
                           min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(st.lists(percent_values, min_size=1, max_size=8))
def test_percent_p95_of_merged_parts_is_within_half_a_point(parts: list[list[float]]) -> None:
    merged = Sketch.for_unit("percent")
    for part in parts:
        merged.merge(sketch_of("percent", part))
    values = [v for part in parts for v in part]
    exact = percentile(values, 95)
    got = p95_of(merged, values)
    if exact is None:
        assert got is None
    else:
        assert got is not None
        assert abs(got - exact) <= max_error("percent") + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.lists(positive_values, min_size=1, max_size=8))
def test_bytes_p95_of_merged_parts_is_within_one_percent(parts: list[list[float]]) -> None:
    merged = Sketch.for_unit("bytes")
    for part in parts:
        merged.merge(sketch_of("bytes", part))
    values = [v for part in parts for v in part]
    exact = percentile(values, 95)
    got = p95_of(merged, values)
    if exact is None:
        assert got is None
    else:
        assert got is not None
        assert abs(got - exact) <= max_error("bytes") * abs(exact) + 1e-9


@settings(max_examples=200, deadline=None)
@given(unit=st.sampled_from(["percent", "bytes", "watts"]),
       values=st.lists(st.one_of(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
                                 st.sampled_from([0.0, -0.0, 1e-9, -1e-9, 5e-10, -5e-10, 1e-300, 100.0])),
                       max_size=80))
def test_adding_values_counts_each_into_the_bin_its_key_gives(unit: str, values: list[float]) -> None:
    # add() computes the keys in bulk (a comprehension and Counter); it must bin every value where key() does,
    # including the zero band and negatives, and add to bins already there.
    s = Sketch.for_unit(unit)
    s.add(values)
    s.add(values[:3])
    want: dict[int, int] = {}
    for v in values + values[:3]:
        want[s.key(v)] = want.get(s.key(v), 0) + 1
    assert s.bins == want
