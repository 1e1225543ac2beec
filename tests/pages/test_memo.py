"""What pages build once per result (pages.ui.memo, and the tables and chart specs of
pages.ui.signal_charts and pages.ui.quantization_charts): one object per result, shared by
equal results, another for another result; the tables hold the engine's rows; building them
leaves a result with read-only arrays unchanged."""

from __future__ import annotations

import dataclasses
import math
import pickle
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from lab.controls.gradient_flow import CONTROLS as GRADIENT_CONTROLS
from lab.controls.quantization import CONTROLS as QUANTIZATION_CONTROLS
from lab.controls.signal_propagation import CONTROLS as SIGNAL_CONTROLS
from lab.controls.weight_distribution import CONTROLS as WEIGHT_CONTROLS
from lab.experiments import gradient_flow, quantization, signal_propagation, weight_distribution
from lab.signal import layer_table_text
from lab.text import MISSING_TEXT
from pages.ui import gradient_charts, quantization_charts, signal_charts, weight_charts
from pages.ui.memo import BoundedCache, arrow_table, once_per, once_per_object

SIGNAL_SMALL = {"layers": "6", "width": "32", "samples": "64"}
QUANTIZATION_SMALL = {"layers": "6", "width": "32", "samples": "64"}


def signal_result(**query: str) -> signal_propagation.Result:
    values = SIGNAL_CONTROLS.parse_query(SIGNAL_SMALL | query).values
    return signal_propagation.run(signal_propagation.config_from_values(values))


def quantization_result(**query: str) -> quantization.Result:
    values = QUANTIZATION_CONTROLS.parse_query(QUANTIZATION_SMALL | query).values
    return quantization.run(quantization.config_from_values(values))


def read_only(value: object, seen: set[int] | None = None) -> object:
    """``value`` with every numpy array inside it made read-only, as the engine's cache keeps
    shared results."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, str | bytes | int | float | type(None)):
        return value
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            read_only(getattr(value, field.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            read_only(item, seen)
    elif isinstance(value, tuple | list):
        for item in value:
            read_only(item, seen)
    return value


@pytest.fixture(autouse=True)
def empty_caches():
    for builder in (
        signal_charts.chart_specs,
        signal_charts.layer_table,
        quantization_charts.chart_specs,
        quantization_charts.tables,
        weight_charts.chart_specs,
        weight_charts.tables,
        gradient_charts.z_spec,
        gradient_charts.summary_table,
    ):
        builder.cache.clear()


# --------------------------------------------------------------------------- Signal propagation


def test_signal_table_and_specs_are_built_once_per_result() -> None:
    first = signal_result()
    equal = signal_result()  # another object with the same config (a copied result)
    other = signal_result(layers="7")
    assert equal is not first and equal.config == first.config
    table = signal_charts.layer_table(first)
    assert signal_charts.layer_table(first) is table
    assert signal_charts.layer_table(equal) is table
    assert signal_charts.layer_table(other) is not table
    assert signal_charts.layer_table(other).num_rows == table.num_rows + 1
    specs = signal_charts.chart_specs(first)
    assert signal_charts.chart_specs(equal) is specs
    assert signal_charts.chart_specs(other) is not specs


def test_signal_table_is_the_engine_text_and_leaves_the_result_unchanged() -> None:
    relu = read_only(signal_result(activation="relu"))
    tanh = read_only(signal_result(activation="tanh"))
    assert not relu.saturation_label and tanh.saturation_label
    for result in (relu, tanh):
        before = pickle.dumps(result)
        table = signal_charts.layer_table(result)
        signal_charts.chart_specs(result)
        assert pickle.dumps(result) == before
        rows = layer_table_text(result.table)
        if not result.saturation_label:
            rows = [{k: v for k, v in row.items() if k != "frac_saturated"} for row in rows]
        assert table.to_pylist() == rows
        assert ("frac_saturated" in table.column_names) == bool(result.saturation_label)


def test_signal_specs_draw_the_result_series() -> None:
    result = signal_result()
    specs = signal_charts.chart_specs(result)
    assert specs.forward == signal_charts.series_spec(result.forward)
    assert specs.grad_weight == signal_charts.series_spec(result.grad_weight)
    assert specs.forward["title"]["text"] == result.forward.title


# --------------------------------------------------------------------------- Quantization range


def test_quantization_tables_and_specs_are_built_once_per_result() -> None:
    first = quantization_result()
    equal = quantization_result()
    other = quantization_result(calibration="first_layer")
    assert equal is not first and equal.config == first.config
    tables = quantization_charts.tables(first)
    assert quantization_charts.tables(equal) is tables
    assert quantization_charts.tables(other) is not tables
    specs = quantization_charts.chart_specs(first)
    assert quantization_charts.chart_specs(equal) is specs
    assert quantization_charts.chart_specs(other) is not specs


def test_quantization_tables_hold_the_engine_rows() -> None:
    # Exploding: float32 overflows, and the table has NaN cells.
    exploding = {"init": "large_random", "activation": "linear", "layers": "50", "width": "64"}
    result = read_only(quantization_result(**exploding, samples="32"))
    before = pickle.dumps(result)
    tables = quantization_charts.tables(result)
    assert pickle.dumps(result) == before
    assert tables.layers.column_names == [column.name for column in result.columns]
    assert set(tables.layer_config) == set(tables.layers.column_names)
    shown = [list(row.values()) for row in tables.layers.to_pylist()]
    # NaN is a missing value, as pandas' conversion made it; magnitudes are text.
    magnitude = [column.kind == "magnitude" for column in result.columns]
    expected = [
        [
            quantization_charts.magnitude_text(v)
            if as_text
            else None
            if isinstance(v, float) and math.isnan(v)
            else v
            for v, as_text in zip(row, magnitude, strict=True)
        ]
        for row in result.table
    ]
    assert shown == expected
    assert any(v is None for row in shown for v in row)
    sqnr = tables.sqnr.to_pylist()
    assert [row["values"] for row in sqnr] == [e.samples for e in result.sqnr_examples]
    assert [row["SQNR measured (dB)"] for row in sqnr] == [e.sqnr_db for e in result.sqnr_examples]
    limits = tables.limits.to_pylist()
    assert "name" not in tables.limits.column_names
    assert [row["max"] for row in limits] == [f"{row['max']:.4e}" for row in result.format_limits]


# --------------------------------------------------------------------------- pages.ui.memo


def test_bounded_cache_builds_once_and_drops_the_least_recently_used() -> None:
    cache: BoundedCache[list] = BoundedCache(2)
    built: list[str] = []

    def build(key: str):
        return lambda: built.append(key) or [key]

    a = cache.get_or_build("a", build("a"))
    assert cache.get_or_build("a", build("a")) is a and built == ["a"]
    cache.get_or_build("b", build("b"))
    cache.get_or_build("a", build("a"))  # "a" is now the most recent
    cache.get_or_build("c", build("c"))  # drops "b"
    assert len(cache) == 2 and built == ["a", "b", "c"]
    assert cache.get_or_build("a", build("a")) is a
    cache.get_or_build("b", build("b"))
    assert built == ["a", "b", "c", "b"]


def test_bounded_cache_gives_one_object_to_threads_that_miss_together() -> None:
    cache: BoundedCache[object] = BoundedCache(4)
    got: list[object] = []

    def slow() -> object:
        time.sleep(0.01)
        return object()

    threads = [
        threading.Thread(target=lambda: got.append(cache.get_or_build("k", slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(value is got[0] for value in got)


def test_once_per_keys_by_the_key_function() -> None:
    calls: list[int] = []

    @once_per(lambda pair: pair[0], size=4)
    def build(pair: tuple[int, str]) -> list[int]:
        calls.append(pair[0])
        return [pair[0]]

    assert build((1, "x")) is build((1, "y"))
    assert build((2, "x")) is not build((1, "x"))
    assert calls == [1, 2] and len(build.cache) == 2


def test_arrow_table_columns_nan_and_errors() -> None:
    rows = [{"a": 1, "b": "x", "c": float("nan")}, {"a": 2, "b": "y", "c": 0.5}]
    table = arrow_table(rows, drop=("b",))
    assert table.column_names == ["a", "c"]
    assert table.to_pylist() == [{"a": 1, "c": None}, {"a": 2, "c": 0.5}]
    assert table.schema.field("a").type == pa.int64()
    assert arrow_table([(1, 2.0)], ["p", "q"]).to_pylist() == [{"p": 1, "q": 2.0}]
    assert arrow_table([], ["p"]).num_rows == 0
    with pytest.raises(ValueError, match="columns must be given"):
        arrow_table([(1, 2.0)])
    with pytest.raises(ValueError, match="2 values"):
        arrow_table([(1, 2.0, 3.0)], ["p", "q"])


# --------------------------------------------------------------------------- more arguments


def test_a_key_of_several_arguments_builds_once_per_key() -> None:
    calls: list[tuple] = []

    @once_per(lambda name, data, scale: (name, scale))
    def build(name: str, data: list, scale: float) -> dict:
        calls.append((name, scale))
        return {"name": name, "total": sum(data) * scale}

    first = build("a", [1, 2], 2.0)
    assert build("a", [5, 5], 2.0) is first  # data is determined by the key: not rebuilt
    assert build("a", [1, 2], 3.0) == {"name": "a", "total": 9.0}
    assert calls == [("a", 2.0), ("a", 3.0)]


# --------------------------------------------------------------------------- Weight distribution


def test_weight_tables_and_specs_are_built_once_per_result() -> None:
    values = WEIGHT_CONTROLS.parse_query({"samples": "2000", "init": "he_normal,orthogonal"})
    config = weight_distribution.config_from_values(values.values)
    first = read_only(weight_distribution.run(config))
    equal = weight_distribution.run(config)
    specs, tables = weight_charts.chart_specs(first), weight_charts.tables(first)
    assert weight_charts.chart_specs(equal) is specs and weight_charts.tables(equal) is tables
    assert len(specs[0]) == 2 and len(specs[1]) == len(first.shapes)
    rows = tables.schemes.to_pylist()
    assert [row["scheme"] for row in rows] == [view.summary.label for view in first.schemes]
    assert rows[0]["Var sampled"] == first.schemes[0].summary.sampled_variance
    assert rows[1]["KS p"] == MISSING_TEXT  # orthogonal weights get no KS test
    assert tables.shapes.column_names == list(weight_charts.SHAPE_COLUMNS)


# --------------------------------------------------------------------------- Gradient flow


def test_gradient_specs_are_shared_per_config_and_threshold() -> None:
    values = GRADIENT_CONTROLS.parse_query({"layers": "4", "width": "16", "n": "32"}).values
    result = read_only(gradient_flow.run(gradient_flow.config_from_values(values)))
    pair = result.pair
    spec = gradient_charts.z_spec(result.config, pair, 1.8, 0.1)
    assert gradient_charts.z_spec(result.config, pair, 1.8, 0.1) is spec
    assert gradient_charts.z_spec(result.config, pair, 2.0, 0.1) is not spec
    table = gradient_charts.summary_table(result)
    assert gradient_charts.summary_table(result) is table
    assert table.to_pylist() == [dict(row) for row in result.summary_rows]


def test_a_part_of_a_shared_result_is_built_once_per_object() -> None:
    calls: list[int] = []

    @once_per_object(size=2)
    def build(part: np.ndarray, scale: float = 1.0) -> float:
        calls.append(len(calls))
        return float(part.sum()) * scale

    shared, copy = np.arange(4.0), np.arange(4.0)  # equal values, another object
    assert build(shared) == build(shared) == 6.0
    assert build(copy) == 6.0 and build(shared, 2.0) == 12.0
    assert len(calls) == 3
    # The cache holds the parts it keys: a dropped part's identity cannot alias a new one.
    assert any(held is shared for held, _ in build.cache._items.values())
