"""Forward pass: push a batch through a deep network and watch every layer's distribution
(engine: lab/presets.py on lab/network.py, lab/theory.py and lab/diagnosis.py)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from lab import presets
from lab.activations import ACTIVATION_NAMES, get_activation
from lab.diagnosis import match_verdict
from lab.initializers import SCHEME_NAMES, get_initializer
from pages.common import (
    choice_control,
    float_control,
    histogram_chart,
    int_control,
    log_line_chart,
    page_header,
    show_engine_error,
    show_spec,
    vega_spec,
)

PAGE_KEY = "forward_pass"
VIEWS = {
    "five_layers": "5,000 points × 5 layers",
    "network": "Your network",
    "xavier_pair": "Xavier: linear vs ReLU",
    "sigma_sweep": "σ sweep, X = [1,2,3,4,5]",
}
#: Selectbox labels; schemes with a free parameter get a generic name (the label the engine
#: gives them includes the default value).
SCHEME_LABELS = {name: get_initializer(name).label for name in SCHEME_NAMES} | {
    "normal": "Normal N(0, σ²)",
    "uniform": "Uniform U(−b, b)",
    "constant": "Constant c",
}
ACTIVATION_LABELS = {name: get_activation(name).label for name in ACTIVATION_NAMES} | {
    "leaky_relu": "Leaky ReLU"
}
HISTOGRAM_KINDS = {"pre": "z (pre-activation)", "post": "a (activation)"}
SLOPES = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
REPEAT_OPTIONS = [1.0, 10.0, 50.0, 200.0, 1000.0, 2000.0]
MAX_PAGE_LAYERS = 50
MAX_PAGE_WIDTH = 1024
MAX_PAGE_SAMPLES = 20_000
MAX_PAIR_LAYERS = 20
MAX_SEED = 10_000
PANELS = 9
PANELS_PER_ROW = 3
HISTOGRAM_HEIGHT = 250
LINE_HEIGHT = 320
THEORY_NOTE = "Solid lines with dots: this simulation. Dashed: mean-field theory (infinite width)."


# --------------------------------------------------------------------------- formatting, charts


def fmt(value: float) -> str:
    """3 significant digits; inf/NaN spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.3g}"


def with_theory(
    chart: alt.LayerChart, rows: list[dict], series_order: list[str], legend: str
) -> dict:
    """Add dashed theory lines (columns layer, value, series) to a ``log_line_chart`` in the
    same colours. Points a log axis cannot show (0, inf) are left out; the theory is exact
    there and the caption says so."""
    drawable = [row for row in rows if math.isfinite(row["value"]) and row["value"] > 0]
    if not drawable:
        return vega_spec(chart, validate=False)
    data = pd.DataFrame(drawable)
    data = data.rename(columns={"layer": "x", "value": "y"})
    data["exact"] = data["y"].map(repr)
    dashed = (
        alt.Chart(data)
        .mark_line(strokeDash=[6, 4], strokeWidth=2, opacity=0.85)
        .encode(
            x="x:Q",
            y=alt.Y("y:Q", scale=alt.Scale(type="log")),
            color=alt.Color("series:N", title=legend, scale=alt.Scale(domain=series_order)),
            detail="series:N",
            tooltip=[
                alt.Tooltip("series:N", title="theory"),
                alt.Tooltip("x:Q", title="layer"),
                alt.Tooltip("exact:N", title="value"),
            ],
        )
    )
    return vega_spec(chart + dashed, validate=False)


def histogram_panels(run: presets.LayerHistograms, kind: str, layers: tuple[int, ...]) -> list:
    """One histogram spec per layer in ``layers``, titled with the layer's std."""
    tensor = run.pre if kind == "pre" else run.post
    symbol = "z" if kind == "pre" else "a"
    specs = []
    for layer in layers:
        i = layer - 1
        std = float(tensor.std[i])
        spread = f"std {fmt(std)}" if math.isfinite(std) else "no finite value"
        title = f"Layer {layer} · {spread}"
        zeros = float(tensor.frac_zero[i])
        if kind == "post" and zeros >= 0.01:
            title += f" · {zeros:.0%} exactly 0"
        chart = histogram_chart(
            tensor.edges,
            tensor.counts[i],
            title,
            below=int(tensor.below[i]),
            above=int(tensor.above[i]),
            nonfinite=int(tensor.nonfinite[i]),
            x_title=f"{symbol} of layer {layer}",
            height=HISTOGRAM_HEIGHT,
        )
        specs.append(vega_spec(chart, validate=False))
    return specs


def std_rows(run: presets.LayerHistograms, series: str) -> tuple[list[dict], list[dict]]:
    """(simulation, theory) rows of the std of a_l, layer 0 being the input."""
    result = run.result
    simulated = [{"layer": 0, "value": float(result.input.std[0]), "series": series}]
    simulated += [
        {"layer": int(layer), "value": float(std), "series": series}
        for layer, std in zip(run.layers, result.post.std, strict=True)
    ]
    theory = []
    if run.theory is not None:
        theory = [{"layer": 0, "value": run.theory.input_std, "series": series}]
        theory += [
            {"layer": int(layer), "value": float(std), "series": series}
            for layer, std in zip(run.layers, run.theory.post_std, strict=True)
        ]
    return simulated, theory


def rms_rows(run: presets.LayerHistograms, series: str) -> tuple[list[dict], list[dict]]:
    """(simulation, theory) rows of the RMS of a_l, layer 0 being the input."""
    result = run.result
    simulated = [{"layer": 0, "value": float(result.input.rms[0]), "series": series}]
    simulated += [
        {"layer": int(layer), "value": float(rms), "series": series}
        for layer, rms in zip(run.layers, result.post.rms, strict=True)
    ]
    theory = [{"layer": 0, "value": run.theory.input_std, "series": series}]
    theory += [
        {"layer": int(layer), "value": float(rms), "series": series}
        for layer, rms in zip(run.layers, run.theory.post_rms, strict=True)
    ]
    return simulated, theory


def line_chart(rows: list[dict], title: str, y_title: str, theory: list[dict], legend: str) -> dict:
    """A log-axis line per series (legend titled ``legend``), with the theory dashed on top."""
    frame = pd.DataFrame(rows).rename(columns={"series": legend})
    chart = log_line_chart(
        frame, "layer", "value", legend, title, y_title, x_title="layer", height=LINE_HEIGHT
    )
    order = list(dict.fromkeys(row["series"] for row in rows))
    return with_theory(chart, theory, order, legend)


# --------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=16, show_spinner="Simulating…")
def run_network(params: tuple[tuple[str, object], ...]) -> presets.LayerHistograms:
    """``presets.layer_histograms(**params)``, cached."""
    return presets.layer_histograms(**dict(params))


@st.cache_data(max_entries=16, show_spinner=False)
def network_charts(params: tuple[tuple[str, object], ...]) -> dict:
    """Std and variance charts of one network, and the five classic inits in it."""
    run = run_network(params)
    config = run.config
    simulated, theory = std_rows(run, "this network")
    std_chart = line_chart(
        simulated,
        "Std of the activations per layer",
        "std of a_l (layer 0: input)",
        theory,
        "network",
    )
    variance_rows, variance_theory = [], []
    for symbol, stats, predicted in (
        ("Var(z_l), pre-activation", run.result.pre, "pre_var"),
        ("Var(a_l), activation", run.result.post, "post_var"),
    ):
        variance_rows += [
            {"layer": int(layer), "value": float(value), "series": symbol}
            for layer, value in zip(run.layers, stats.variance, strict=True)
        ]
        if run.theory is not None:
            variance_theory += [
                {"layer": int(layer), "value": float(value), "series": symbol}
                for layer, value in zip(run.layers, getattr(run.theory, predicted), strict=True)
            ]
    variance_chart = line_chart(
        variance_rows,
        "Variance before and after the activation",
        "variance",
        variance_theory,
        "quantity",
    )
    outcomes = presets.init_comparison(
        config.activation,
        layers=config.depth,
        width=config.width,
        samples=config.samples,
        input_std=config.input_std,
        seed=config.seed,
        slope=config.slope,
    )
    comparison_rows = []
    for outcome in outcomes:
        comparison_rows.append({"layer": 0, "value": outcome.input_std, "series": outcome.label})
        comparison_rows += [
            {"layer": layer, "value": std, "series": outcome.label}
            for layer, std in enumerate(outcome.post_std, start=1)
        ]
    comparison_chart = vega_spec(
        log_line_chart(
            pd.DataFrame(comparison_rows).rename(columns={"series": "scheme"}),
            "layer",
            "value",
            "scheme",
            "Five classic inits in this network",
            "std of a_l (layer 0: input)",
            x_title="layer",
            height=LINE_HEIGHT,
        )
    )
    verdict = match_verdict(
        config.init, config.activation, config.init_params, config.slope, config.width
    )
    table = [
        {
            "scheme": o.label,
            "final std": fmt(o.final_std),
            "ratio to input (RMS)": fmt(o.ratio),
            "state": o.state,
            "verdict": o.overflow_message or o.message,
        }
        for o in outcomes
    ]
    return {
        "std": std_chart,
        "variance": variance_chart,
        "comparison": comparison_chart,
        "table": table,
        "verdict": verdict,
    }


@st.cache_data(max_entries=32, show_spinner=False)
def network_histograms(params: tuple[tuple[str, object], ...], kind: str) -> tuple[list, bool]:
    """The histogram panels, and whether some shown layer has most values off the window."""
    run = run_network(params)
    shown = presets.panel_layers(run.config.depth, PANELS)
    tensor = run.pre if kind == "pre" else run.post
    rows = [layer - 1 for layer in shown]
    outside = (tensor.below + tensor.above + tensor.nonfinite)[rows] / tensor.total[rows]
    return histogram_panels(run, kind, shown), bool((outside > 0.5).any())


@st.cache_data(max_entries=8, show_spinner="Simulating…")
def pair_view(layers: int, seed: int, kind: str) -> dict:
    pair = presets.xavier_linear_vs_relu(layers=layers, seed=seed)
    shown = presets.panel_layers(layers, PANELS)
    rows, theory = [], []
    for run, name in ((pair.linear, "Xavier + linear"), (pair.relu, "Xavier + ReLU")):
        simulated, predicted = rms_rows(run, name)
        rows += simulated
        theory += predicted
    return {
        "pair": pair,
        "layers": shown,
        "linear": histogram_panels(pair.linear, kind, shown),
        "relu": histogram_panels(pair.relu, kind, shown),
        "rms": line_chart(
            rows,
            "RMS of the activations per layer",
            "RMS of a_l (layer 0: input)",
            theory,
            "network",
        ),
    }


@st.cache_data(max_entries=8, show_spinner="Simulating…")
def sweep_view(repeats: int, seed: int) -> dict:
    sweep = presets.sigma_sweep(repeats=repeats, seed=seed)
    charts = {}
    for key, measured, predicted, title in (
        ("pre", sweep.pre_var, sweep.theory_pre_var, "Var(z_l): pre-activation variance"),
        ("post", sweep.post_var, None, "Var(a_l): variance after ReLU"),
    ):
        rows, theory = [], []
        for i, sigma in enumerate(sweep.sigmas):
            name = f"σ = {sigma:g}"
            rows += [
                {"layer": int(layer), "value": float(value), "series": name}
                for layer, value in zip(sweep.layers, measured[i], strict=True)
            ]
            if predicted is not None:
                theory += [
                    {"layer": int(layer), "value": float(value), "series": name}
                    for layer, value in zip(sweep.layers, predicted[i], strict=True)
                ]
        charts[key] = line_chart(rows, title, "variance", theory, "weight std")
    last = int(sweep.layers[-1])
    table = [
        {
            "σ": f"{sigma:g}",
            "factor per layer, theory": fmt(float(sweep.theory_factor[i])),
            "factor per layer, measured": fmt(float(sweep.measured_factor[i])),
            f"Var(z) at layer {last}, theory": fmt(float(sweep.theory_pre_var[i, -1])),
            f"E[z²] at layer {last}, measured": fmt(float(sweep.pre_second_moment[i, -1])),
            "± standard error": fmt(float(sweep.pre_second_moment_se[i, -1])),
        }
        for i, sigma in enumerate(sweep.sigmas)
    ]
    return {"sweep": sweep, "charts": charts, "table": table}


# --------------------------------------------------------------------------- drawing helpers


def show_diagnosis(diagnosis, name: str = "Verdict") -> None:
    """The network's state in one line: green when healthy, amber otherwise."""
    text = f"**{name}:** {diagnosis.message}."
    if diagnosis.state == "healthy":
        st.success(text, icon=":material/check_circle:")
    else:
        st.warning(text, icon=":material/warning:")


def show_panels(specs: list, per_row: int = PANELS_PER_ROW) -> None:
    for start in range(0, len(specs), per_row):
        columns = st.columns(per_row)
        for column, spec in zip(columns, specs[start : start + per_row], strict=False):
            with column:
                show_spec(spec)


def init_params_for(init: str, values: dict[str, float]) -> tuple[tuple[str, float], ...]:
    parameter = {"normal": "std", "uniform": "bound", "constant": "value"}.get(init)
    return ((parameter, values[parameter]),) if parameter else ()


# --------------------------------------------------------------------------- page

page_header(PAGE_KEY)
st.markdown(
    "A dense layer adds up its inputs, each multiplied by a random weight. The spread of that "
    "sum depends on how many inputs there are and on the weights' variance, and every layer "
    "applies the same factor again. Below, a batch of random inputs runs through a network at "
    "initialization, and every layer's distribution is drawn."
)
st.latex(
    r"\operatorname{Var}(z_l) = n_{l-1}\,\operatorname{Var}(W_l)\;"
    r"\mathbb{E}\!\left[a_{l-1}^2\right],\qquad a_l = \phi(z_l)"
)
st.markdown(
    "When the activations have mean zero, E[a²] = Var(a), which is the familiar "
    "Var(z) = n Var(W) Var(a). A linear layer passes E[a²] = Var(z) on, so Xavier's "
    "n Var(W) = 1 keeps the scale. ReLU keeps only E[a²] = Var(z)/2, so with Xavier the "
    "signal halves in E[a²] at every layer; He sets n Var(W) = 2 to win it back."
)

with st.sidebar:
    st.subheader("Forward pass")
    view = choice_control(
        "Experiment",
        "view",
        VIEWS,
        "five_layers",
        "segmented",
        help="Every setting below is stored in the page address: copy it to share this view.",
    )
    controls: dict[str, object] = {}
    if view in ("five_layers", "network"):
        init = choice_control("Weight init", "init", SCHEME_LABELS, "xavier_normal")
        scheme_values = {
            "std": float_control("Weight std σ", "wstd", 0.1, 1e-4, 10.0, log=True)
            if init == "normal"
            else None,
            "bound": float_control("Uniform bound b", "bound", 1.0, 1e-3, 10.0, log=True)
            if init == "uniform"
            else None,
            "value": float_control("Constant c", "wvalue", 0.1, -1.0, 1.0, step=0.01)
            if init == "constant"
            else None,
        }
        activation = choice_control("Activation", "act", ACTIVATION_LABELS, "relu")
        slope = (
            float_control("Leaky slope a", "slope", 0.01, 0.0, 1.0, options=SLOPES)
            if activation == "leaky_relu"
            else 0.01
        )
        if view == "network":
            layers = int_control("Layers", "layers", 12, 1, MAX_PAGE_LAYERS)
            st.caption(
                f"The engine accepts up to 1,000 layers; this page stops at {MAX_PAGE_LAYERS} "
                "so that every change redraws quickly."
            )
            width = int_control("Units per layer", "width", 256, 1, MAX_PAGE_WIDTH, widget="number")
            samples = int_control(
                "Samples", "samples", 500, 1, MAX_PAGE_SAMPLES, widget="number", step=100
            )
        else:
            layers = presets.FIVE_LAYERS_DEPTH
            width = presets.FIVE_LAYERS_WIDTH
            samples = presets.FIVE_LAYERS_SAMPLES
            st.caption(
                f"Fixed by this experiment: {samples:,} samples, {layers} layers of {width} "
                "units. Pick **Your network** to change them."
            )
        input_std = float_control("Input std", "istd", 1.0, 0.01, 100.0, log=True)
        seed = int_control("Seed", "seed", 0, 0, MAX_SEED, widget="number")
        kind = choice_control("Histograms of", "hist", HISTOGRAM_KINDS, "pre", "segmented")
        controls = dict(
            init=init,
            activation=activation,
            layers=layers,
            width=width,
            samples=samples,
            input_std=input_std,
            seed=seed,
            init_params=init_params_for(init, scheme_values),
            slope=slope,
        )
    elif view == "xavier_pair":
        pair_layers = int_control("Layers", "pair_layers", 5, 1, MAX_PAIR_LAYERS)
        seed = int_control("Seed", "seed", 0, 0, MAX_SEED, widget="number")
        kind = choice_control("Histograms of", "hist", HISTOGRAM_KINDS, "pre", "segmented")
        st.caption(
            f"{presets.FIVE_LAYERS_SAMPLES:,} samples, {presets.FIVE_LAYERS_WIDTH} units per "
            "layer, Xavier normal weights, no bias."
        )
    else:
        repeats = int(
            float_control("Weight draws pooled", "reps", 200.0, 1.0, 2000.0, options=REPEAT_OPTIONS)
        )
        seed = int_control("Seed", "seed", 0, 0, MAX_SEED, widget="number")

if view in ("five_layers", "network"):
    params = tuple(sorted(controls.items()))
    try:
        run = run_network(params)
        charts = network_charts(params)
        panels, escaped = network_histograms(params, kind)
    except ValueError as error:
        show_engine_error(error)
        st.stop()

    show_diagnosis(run.diagnosis)
    verdict = charts["verdict"]
    st.caption(f"Does {run.label} fit? {verdict.reason}")

    st.subheader(f"{HISTOGRAM_KINDS[kind]} per layer, on [−3, 3]")
    shown = presets.panel_layers(run.config.depth, PANELS)
    note = "" if len(shown) == run.config.depth else f" ({len(shown)} of {run.config.depth} layers)"
    st.caption(
        f"{run.label}: {run.config.samples:,} samples × {run.config.width} units per layer"
        f"{note}. Values outside [−3, 3] and inf/NaN are counted in each panel's subtitle."
    )
    show_panels(panels)
    if escaped:
        st.caption(
            "Empty windows: most of those layers' values lie outside [−3, 3]; each panel's "
            "subtitle counts them."
        )

    show_spec(charts["std"])
    show_spec(charts["variance"])
    st.caption(THEORY_NOTE)
    if run.theory is None:
        st.caption(f"No theory line: {run.theory_reason}.")

    st.subheader("The five classic inits in this network")
    show_spec(charts["comparison"])
    st.dataframe(pd.DataFrame(charts["table"]), hide_index=True, width="stretch")
    st.caption(
        "Same inputs, sizes and seed for every scheme. Ratio: the last layer's RMS over the "
        "input's; the lab calls a network vanishing below 1/10 and exploding above 10."
    )
    with st.expander("Every layer's numbers"):
        st.dataframe(pd.DataFrame(run.result.rows()), hide_index=True, width="stretch")

elif view == "xavier_pair":
    try:
        pair = pair_view(pair_layers, seed, kind)
    except ValueError as error:
        show_engine_error(error)
        st.stop()
    st.markdown(
        "Same weights, same inputs: the only difference is the activation. Xavier's "
        "Var(W) = 1/n is right for the identity, but ReLU sets about half of the values to 0, "
        "so E[a²] halves at every layer and the RMS falls as 2^(−l/2)."
    )
    st.latex(r"\mathbb{E}\!\left[\mathrm{relu}(z)^2\right] = \tfrac12\,\operatorname{Var}(z)")
    linear_column, relu_column = st.columns(2)
    with linear_column:
        show_diagnosis(pair["pair"].linear.diagnosis, "Xavier + linear")
    with relu_column:
        show_diagnosis(pair["pair"].relu.diagnosis, "Xavier + ReLU")
    show_spec(pair["rms"])
    st.caption(THEORY_NOTE)
    st.subheader(f"{HISTOGRAM_KINDS[kind]} per layer: linear (left) and ReLU (right)")
    for linear_spec, relu_spec in zip(pair["linear"], pair["relu"], strict=True):
        linear_column, relu_column = st.columns(2)
        with linear_column:
            show_spec(linear_spec)
        with relu_column:
            show_spec(relu_spec)

else:
    try:
        sweep = sweep_view(repeats, seed)
    except ValueError as error:
        show_engine_error(error)
        st.stop()
    data = sweep["sweep"]
    he_std = get_initializer("he_normal").std(data.width, data.width)
    st.markdown(
        f"One input row X = [1, 2, 3, 4, 5] runs through {len(data.layers)} ReLU layers of "
        f"{data.width} units with weights W ~ N(0, σ²) and no bias. Every layer multiplies "
        f"E[z²] by {data.width}σ²/2 in expectation: below σ = {he_std:.3g} (He's "
        f"√(2/{data.width})) the signal vanishes, above it it grows."
    )
    st.latex(
        rf"\mathbb{{E}}[z_{{l+1}}^2] = {data.width}\,\sigma^2\,\mathbb{{E}}[a_l^2]"
        rf" = \tfrac{{{data.width}}}{{2}}\,\sigma^2\,\mathbb{{E}}[z_l^2]"
    )
    if data.repeats == 1:
        st.info(
            "One weight draw with one input row and 10 units is very noisy: pool more draws "
            "to see the trend.",
            icon=":material/info:",
        )
    else:
        st.caption(
            f"With one input row and {data.width} units a single weight draw gives a very noisy "
            f"variance, so each point pools {data.repeats:,} independent draws "
            f"({data.repeats * data.width:,} values per layer)."
        )
    left, right = st.columns(2)
    with left:
        show_spec(sweep["charts"]["pre"])
        st.caption(THEORY_NOTE)
    with right:
        show_spec(sweep["charts"]["post"])
        st.caption(
            "No theory line here: the infinite-width value q(1/2 − 1/2π) assumes that every "
            f"unit sees an input of the same length, which {data.width} units do not give; "
            "pooled over draws, the true variance lies above it, more so with depth."
        )
    st.dataframe(pd.DataFrame(sweep["table"]), hide_index=True, width="stretch")
    st.caption(
        "Every σ reuses the same standard-normal draws, scaled by σ (as the engine does for "
        "one seed), so the curves differ by the factor alone."
    )
