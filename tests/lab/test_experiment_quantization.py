"""lab.experiments.quantization: one call returns what the Quantization range page shows, in
agreement with lab.network and lab.formats run separately, within the lab's budget."""

from __future__ import annotations

import math
import tracemalloc
from dataclasses import replace

import pytest

from lab.budget import MAX_PEAK_BYTES
from lab.controls.quantization import CONTROLS, network_values
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments import quantization
from lab.experiments.quantization import (
    DEAD_NOTE,
    STATISTICS,
    TABLE_CAPTION,
    Config,
    config_from_values,
    experiment_cost,
    layer_list,
    network_config,
    run,
)
from lab.formats import (
    FORMATS,
    activation_ranges,
    analyze_layers,
    dynamic_range_bands,
    first_failure,
)
from lab.network import simulate

SMALL = {"layers": 6, "width": 32, "samples": 64}
#: The heaviest request the page's declared ranges allow.
HEAVIEST = Config(layers=100, width=CONTROLS["width"].high, samples=10_000)


def peak_bytes(call) -> int:
    """The peak of memory traced (numpy reports its arrays to tracemalloc) while ``call`` runs."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- configuration --------------------------------------------------------------------------


def test_values_map_onto_the_config():
    assert config_from_values({}).init_params == (("slope", 0.0), ("mode", "fan_in"))
    assert replace(config_from_values({}), init_params=()) == Config()
    config = config_from_values({"init": "normal", "std": 0.5, "gain": 2.0, "formats": ["int8"]})
    assert config.init_params == (("std", 0.5),)  # gain belongs to other schemes
    # Formats come in the page's order (FP16 first), whatever order the URL gives them in.
    assert config_from_values({"formats": ("int8", "e4m3", "fp16")}).formats == (
        "float16",
        "float8_e4m3fn",
        "int8",
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: config_from_values({"layers": 0}), r"layers must be an integer in \[1, 100\]"),
        (
            lambda: config_from_values({"width": 4096}),
            rf"width must be an integer in \[2, {CONTROLS['width'].high}\]",
        ),
        (lambda: config_from_values({"formats": ["fp64"]}), "formats must be one of fp16, bf16"),
        (lambda: config_from_values({"act": "tanh"}), "quantization has no control 'act'"),
        (lambda: Config(calibration="both"), "calibration must be one of per_layer, first_layer"),
        (lambda: Config(formats=("fp16",)), "formats must be one of float32, float16"),
        (lambda: Config(formats="int8"), "formats must be a tuple of format names"),
        (lambda: run(SMALL), "config must be a quantization Config; got dict"),
    ],
)
def test_bad_settings_name_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_links_with_signal_propagation_carry_the_network_both_ways():
    values = CONTROLS.defaults() | {
        "init": "normal",
        "std": 0.5,
        "gain": 2.0,
        "activation": "leaky_relu",
        "leaky_slope": 0.2,
        "calibration": "first_layer",
    }
    carried = network_values(values)
    assert "calibration" not in carried and "gain" not in carried  # gain is not normal's
    assert carried["std"] == 0.5 and carried["leaky_slope"] == 0.2
    signal = SIMULATION_PAGES["signal_propagation"]
    # Here -> Signal propagation, and a Signal propagation link with the same network -> here.
    for page in (signal, CONTROLS):
        parsed = page.parse_query(signal.query(carried))
        assert parsed.warnings == ()
        assert {name: parsed.values[name] for name in carried} == carried


# --- what the page shows --------------------------------------------------------------------


def test_run_shows_what_lab_formats_measures_on_the_same_network():
    config = Config(init="xavier_uniform", activation="tanh", calibration="first_layer", **SMALL)
    result = run(config)
    activations = simulate(network_config(config)).activations
    reports = analyze_layers(activations, "first_layer")
    ranges = activation_ranges(activations)
    assert result.ranges == tuple(ranges)
    table = {c.name: [row[i] for row in result.table] for i, c in enumerate(result.columns)}
    assert table["layer"] == [1, 2, 3, 4, 5, 6]
    assert table["largest |a|"] == [r.max_abs for r in ranges]
    assert table["INT8 SQNR (dB)"] == [r.int8.sqnr_db for r in reports]
    assert table["INT8 clipped"] == [r.int8.frac_clipped for r in reports]
    assert table["FP8 E4M3 → 0"] == [r.casts["float8_e4m3fn"].frac_flushed_to_zero for r in reports]
    assert table["FP16 subnormal"] == [r.casts["float16"].frac_subnormal for r in reports]
    assert result.headline == first_failure(reports, config.formats)
    for verdict in result.verdicts:
        sentence = first_failure(reports, [verdict.format])
        assert verdict.broke == (sentence is not None)
        assert sentence is None or verdict.text == sentence


def test_default_view_fits_the_budget_and_no_format_breaks():
    result = run(Config())
    assert result.budget_note == "" and result.network.samples == 500
    # He + ReLU keeps every layer near unit scale (Signal propagation): no format breaks.
    assert result.headline is None
    assert result.summary == "None of the selected formats breaks in any of the 20 layers."
    assert [v.label for v in result.verdicts] == ["FP16", "BF16", "FP8 E4M3", "FP8 E5M2", "INT8"]
    assert not any(v.broke for v in result.verdicts)
    assert result.notes == () and result.gaps == () and result.fp16_note == ""


@pytest.mark.parametrize(
    ("layers", "summary"),
    [
        (1, "None of the selected formats breaks in the network's only layer."),
        (2, "None of the selected formats breaks in any of the 2 layers."),
    ],
)
def test_a_summary_without_failure_counts_the_layers_it_checked(layers, summary):
    result = run(Config(layers=layers))
    assert result.headline is None and len(result.ranges) == layers
    assert result.summary == summary


def test_an_exploding_network_overflows_and_leaves_the_log_axis():
    config = Config(init="large_random", activation="linear", layers=50, width=64, samples=32)
    result = run(config)
    first = simulate(network_config(config)).first_nonfinite_layer
    assert first is not None and first < 50
    assert any(f"inf/NaN at layer {first}" in note for note in result.notes)
    # FP8 E4M3 (max 448) breaks long before float32 does, and the headline says so.
    assert result.headline.startswith("FP8 E4M3 overflows first, at layer ")
    assert all(v.broke for v in result.verdicts)
    assert result.verdicts[1].text.startswith(
        f"The activations are already inf/NaN at layer {first}"
    )
    # The values the log axis cannot show are named, not dropped silently.
    assert f"largest |a|: inf/NaN from layer {first}" in result.range_note
    assert result.fp16_note == f"Not on the log axis (0, inf or NaN): layers {first}–50"
    assert all(math.isfinite(p.value) and p.value > 0 for p in result.fp16_markers)
    largest = {p.layer for p in result.fp16_markers if p.statistic == STATISTICS["max_abs"]}
    assert largest == set(range(1, first))


def test_a_dead_network_says_so_and_keeps_an_axis():
    result = run(Config(init="zeros", **SMALL))
    assert result.notes == (DEAD_NOTE,)
    assert result.headline is None and result.fp16_markers == ()
    assert not any(p.on_axis for p in result.points)
    low, high = result.axis
    assert 0.0 < low < FORMATS["float16"].smallest_subnormal and high > FORMATS["float16"].max


def test_a_scale_calibrated_on_layer_one_loses_a_vanishing_network():
    config = Config(init="xavier_normal", layers=12, width=64, samples=64, formats=("int8",))
    fixed = run(replace(config, calibration="first_layer")).verdicts[0]
    assert fixed.broke and fixed.text.startswith("INT8 (calibrated on layer 1) loses ")
    # A scale per layer follows the shrinking signal.
    assert not run(config).verdicts[0].broke


def test_panels_share_an_axis_that_holds_every_line():
    result = run(Config(init="large_random", activation="relu", layers=8, width=64, samples=64))
    low, high = result.axis
    plotted = [p.value for p in result.points if p.on_axis]
    assert low <= min(plotted) / 10 and max(plotted) * 10 <= high
    fp16 = result.panels[0]
    assert fp16.label == "FP16" and {(b.first, b.last) for b in fp16.bands} == {(1, 8)}
    zones = {b.band.zone: b.band for b in fp16.bands}
    # Normal numbers, and above the max the values that still round to it (up to 65,520).
    assert (zones["represented"].low, zones["represented"].high) == (
        FORMATS["float16"].smallest_normal,
        FORMATS["float16"].overflow_threshold,
    )
    # INT8 calibrated per layer: each layer's kept range ends at its own largest |a| (absmax).
    int8 = result.panels[-1]
    for spread in result.ranges:
        (kept,) = [
            b.band for b in int8.bands if b.first == spread.layer and b.band.zone == "represented"
        ]
        assert kept.high == pytest.approx(spread.max_abs, rel=1e-12)
    for panel in result.panels:
        assert all(low <= b.band.low < b.band.high <= high for b in panel.bands)


def test_the_fp16_bar_widens_to_every_marker():
    result = run(Config(init="large_random", activation="relu", layers=12, width=64, samples=64))
    bar = result.fp16
    values = [p.value for p in result.fp16_markers]
    assert max(values) > dynamic_range_bands("float16").axis_high  # this network leaves it
    assert bar.axis_low <= min(values) / 10 and max(values) * 10 <= bar.axis_high
    assert bar.bands[0].low == bar.axis_low and bar.bands[-1].high == bar.axis_high
    for below, above in zip(bar.bands, bar.bands[1:], strict=False):
        assert below.high == above.low
    assert {p.statistic for p in result.fp16_markers} == {
        STATISTICS["max_abs"],
        STATISTICS["low_percentile"],
    }


def test_no_format_chosen_leaves_only_the_magnitudes():
    result = run(Config(formats=(), **SMALL))
    assert result.verdicts == () and result.panels == () and result.headline is None
    assert [c.name for c in result.columns] == ["layer", *STATISTICS.values()]


def test_layer_list_joins_runs():
    assert layer_list([3]) == "layer 3"
    assert layer_list([1, 2, 3, 4, 7, 9, 10]) == "layers 1–4, 7, 9–10"


# --- budget ---------------------------------------------------------------------------------


def test_the_heaviest_request_runs_with_fewer_samples_within_the_byte_budget():
    quantization._sqnr_examples.cache_clear()  # a first visit computes them too
    results = []
    peak = peak_bytes(lambda: results.append(run(HEAVIEST)))
    (result,) = results
    assert peak <= MAX_PEAK_BYTES
    network = result.network
    assert (network.layers, network.width) == (100, HEAVIEST.width)  # the network asked for
    assert 1 <= network.samples < 10_000
    assert result.budget_note == (
        f"100 layers × {HEAVIEST.width:,} units: {network.samples:,} samples instead of "
        "10,000, to stay within the lab's budget."
    )
    assert experiment_cost(network).fits()
    assert not experiment_cost(replace(network, samples=network.samples + 1)).fits()
    assert len(result.ranges) == 100


@pytest.mark.parametrize(
    "config",
    [
        Config(activation="relu", layers=30, width=256, samples=400),
        Config(init="large_random", activation="linear", layers=40, width=128, samples=300),
        Config(activation="tanh", layers=5, width=512, samples=300, calibration="first_layer"),
    ],
    ids=["relu", "overflowing", "wide"],
)
def test_the_cost_model_holds_the_measured_peak(config):
    run(Config(**SMALL))  # the SQNR examples are computed once per process, not per request
    network = network_config(config)
    assert experiment_cost(network).fits()  # nothing lowered: the measurement is of config
    assert peak_bytes(lambda: run(config)) <= experiment_cost(network).peak_bytes


def test_relus_zeros_cap_the_overflow_share_as_the_caption_says():
    """Large random weights with ReLU: past layer 10 every nonzero |a| is above FP16's max
    (the small |a| column, which leaves zeros out), yet the overflow share stays near one half,
    because the exact zeros ReLU makes count among the values (TABLE_CAPTION says so)."""
    result = run(config_from_values({"init": "large_random", "activation": "relu"}))
    names = [column.name for column in result.columns]
    small, overflow = names.index("small |a|"), names.index("FP16 overflow")
    deep = [row for row in result.table if row[small] > FORMATS["float16"].max]
    assert deep
    for row in deep:
        assert 0.4 < row[overflow] < 0.6
    assert "Exact zeros count among the values" in TABLE_CAPTION


def test_lines_that_lie_on_top_of_each_other_are_named():
    """Large random + tanh: every unit saturates at ±1, so the largest |a| and the RMS are
    within 3 % at every layer and the blue line vanished under the RMS with no word."""
    query = {"init": "large_random", "activation": "tanh", "formats": "int8,bf16", "layers": "5"}
    result = quantization.run(quantization.config_from_values(CONTROLS.parse_query(query).values))
    largest = [p.value for p in result.points if p.statistic == "largest |a|"]
    rms = [p.value for p in result.points if p.statistic == "RMS"]
    worst = max(max(a, b) / min(a, b) for a, b in zip(largest, rms, strict=True))
    assert worst < 1.05
    assert result.overlap_note == (
        f"largest |a| and RMS lie within a factor {worst:.3g} of each other at every layer: one "
        "line hides the other."
    )
    # He + ReLU (the default): the largest |a| is several times the RMS.
    default = quantization.run(quantization.config_from_values(CONTROLS.defaults()))
    assert default.overlap_note == ""
