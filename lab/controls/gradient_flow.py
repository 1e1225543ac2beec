"""Gradient flow's controls: the tanh network compared under uniform and normal weights, and
the many-runs statistics.

``layers``, ``width`` and ``seed`` are the network group's declarations (lab.controls.network)
with this page's defaults and narrower ranges: the demo's slider ranges
(lab.gradient_flow.SWEEP_RANGES), which lab.gradient_flow accepts, which the three sweeps span,
and whose heaviest corner still fits the lab's budget with one run and one sweep seed. Width 1
is allowed here: one neuron per layer is where the weights' shape still shows (too few terms
for the central limit theorem).
"""

from dataclasses import replace

from lab.controls.core import ChoiceControl, IntControl, PageControls
from lab.controls.network import LAYERS, SEED, WIDTH
from lab.gradient_flow import (
    DEFAULT_FEATURES,
    DEFAULT_LAYERS,
    DEFAULT_NEURONS,
    SWEEP_RANGES,
    UNIFORM_KINDS,
    weight_scheme,
)

#: Most runs a page collects (each run is one pair of networks).
MAX_COLLECTED_RUNS = 200

HIDDEN_LAYERS = replace(
    LAYERS,
    label="Hidden layers",
    default=DEFAULT_LAYERS,
    low=SWEEP_RANGES["layers"][0],
    high=SWEEP_RANGES["layers"][1],
    help="Number of tanh layers L between the input and the output.",
)
NEURONS = replace(
    WIDTH,
    label="Neurons per layer",
    default=DEFAULT_NEURONS,
    low=SWEEP_RANGES["neurons"][0],
    high=SWEEP_RANGES["neurons"][1],
    widget="slider",
    help="Every tanh layer's width n.",
)
FEATURES = IntControl(
    name="features",
    label="Input features",
    default=DEFAULT_FEATURES,
    low=SWEEP_RANGES["features"][0],
    high=SWEEP_RANGES["features"][1],
    help="Width of the input a₀; the inputs are N(0, 1).",
)
UNIFORM = ChoiceControl(
    name="uniform",
    label="Uniform weights",
    default="rand",
    options=tuple((kind, weight_scheme(kind).label) for kind in UNIFORM_KINDS),
    widget="segmented",
    help="rand as in the demo; U(-1, 1) centres it; U(-√3, √3) also matches randn's variance.",
)
PER_CLICK = IntControl(
    name="n",
    label="N (runs per click)",
    default=20,
    low=1,
    high=100,
    help="How many pairs of networks the button Run N times adds.",
)
RUNS = IntControl(
    name="runs",
    label="Runs collected",
    default=0,
    low=0,
    high=MAX_COLLECTED_RUNS,
    widget="number",
    help="Run k uses seed + k - 1 for both networks, so a link reproduces the statistics.",
)

CONTROLS = PageControls(
    "gradient_flow",
    "gradient-flow",
    (
        HIDDEN_LAYERS,
        NEURONS,
        FEATURES,
        replace(SEED, help="Same seed, same inputs for both networks: a link reproduces them."),
        UNIFORM,
        PER_CLICK,
        RUNS,
    ),
)
