"""Gradient flow's controls: the tanh network compared under uniform and normal weights, and
the many-runs statistics."""

from dataclasses import replace

from lab.controls.core import ChoiceControl, IntControl, PageControls
from lab.controls.network import LAYERS, SEED, WIDTH
from lab.gradient_flow import SWEEP_RANGES

FEATURES = IntControl(
    name="features",
    label="Input features",
    default=64,
    low=SWEEP_RANGES["features"][0],
    high=SWEEP_RANGES["features"][1],
    help="Width of the input a_0.",
)
UNIFORM = ChoiceControl(
    name="uniform",
    label="Uniform weights",
    default="rand",
    options=(
        ("rand", "rand: U[0, 1)"),
        ("centered", "U(-1, 1)"),
        ("matched", "matched variance U(-√3, √3)"),
    ),
    widget="segmented",
    help="rand as in the demo; U(-1, 1) centres it; U(-√3, √3) also matches randn's variance.",
)
PER_CLICK = IntControl(name="n", label="N (runs per click)", default=20, low=1, high=100)
RUNS = IntControl(
    name="runs",
    label="Runs collected",
    default=0,
    low=0,
    high=200,
    widget="number",
    help="Run k uses seed + k - 1 for both networks, so a link reproduces the statistics.",
)

CONTROLS = PageControls(
    "gradient_flow",
    "gradient-flow",
    (
        replace(LAYERS, label="Hidden layers", default=10, high=SWEEP_RANGES["layers"][1]),
        replace(WIDTH, label="Neurons per layer", default=50, low=1, widget="slider"),
        FEATURES,
        SEED,
        UNIFORM,
        PER_CLICK,
        RUNS,
    ),
)
