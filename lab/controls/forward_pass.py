"""Forward pass's controls: the experiment, the network (for the two network experiments), and
each experiment's own settings. The network controls are the shared ones of
``lab.controls.network`` (same names and ranges as on every network page); only their defaults
and ``when`` conditions are this page's."""

from __future__ import annotations

from dataclasses import replace

from lab import presets
from lab.controls.core import ChoiceControl, FloatControl, IntControl, PageControls
from lab.controls.network import (
    ACTIVATION,
    BIAS_STD,
    INIT_GROUP,
    INPUT_STD,
    LAYERS,
    LEAKY_SLOPE,
    SAMPLES,
    SEED,
    WIDTH,
)

#: The views that simulate the chosen scheme and activation.
NETWORK_VIEWS = ("five_layers", "network")
_SWEEP_ROW = ", ".join(f"{x:g}" for x in presets.SIGMA_SWEEP_INPUT)
VIEW = ChoiceControl(
    name="view",
    label="Experiment",
    default="five_layers",
    options=(
        (
            "five_layers",
            f"{presets.FIVE_LAYERS_SAMPLES:,} points × {presets.FIVE_LAYERS_DEPTH} layers",
        ),
        ("network", "Your network"),
        ("xavier_pair", "Xavier: linear vs ReLU"),
        ("sigma_sweep", f"σ sweep, X = [{_SWEEP_ROW}]"),
    ),
    widget="segmented",
    help="Every setting below is stored in the page address: copy it to share this view.",
)
_network = (("view", NETWORK_VIEWS),)
_yours = (("view", ("network",)),)
PAIR_LAYERS = IntControl(
    name="pair_layers",
    label="Layers",
    # 16: ReLU's RMS has halved 8 times (1/256 of the linear network's), far beyond the
    # scatter of one weight draw; at 5 layers the two networks are hard to tell apart.
    default=16,
    low=1,
    high=20,
    when=(("view", ("xavier_pair",)),),
    help="Depth of both networks; they differ only by the activation.",
)
_sweep = (("view", ("sigma_sweep",)),)
_SET_NOTES = {"around_he": " (around He's)", "course": " (the course's)"}
SIGMA = FloatControl(
    name="sigma",
    label="Your σ",
    default=presets.SIGMA_SWEEP_HE,
    low=presets.MIN_SIGMA,
    high=presets.MAX_SIGMA,
    step=0.01,
    display="%.4g",
    widget="number",
    when=_sweep,
    help=(
        f"Any weight std from {presets.MIN_SIGMA:g} to {presets.MAX_SIGMA:g}, drawn beside the "
        f"reference σ. He's σ = √(2/{presets.SIGMA_SWEEP_WIDTH}) = "
        f"{presets.SIGMA_SWEEP_HE:.3f} keeps E[z²] in expectation."
    ),
)
SIGMA_SET = ChoiceControl(
    name="sigma_set",
    label="Reference σ",
    default="around_he",
    options=tuple(
        (name, ", ".join(f"{sigma:g}" for sigma in sigmas) + _SET_NOTES[name])
        for name, sigmas in presets.SIGMA_SETS.items()
    ),
    when=_sweep,
    help="Growth and decay around He's σ, or the course material's set (mostly decay).",
)
HISTOGRAMS = ChoiceControl(
    name="hist",
    label="Histograms of",
    default="pre",
    options=(("pre", "z (pre-activation)"), ("post", "a (activation)")),
    widget="segmented",
    when=(("view", (*NETWORK_VIEWS, "xavier_pair")),),
    help="z_l = a_{l−1} W_l + b_l before the activation, or a_l = φ(z_l) after it.",
)
REPEATS = FloatControl(
    name="reps",
    label="Weight draws pooled",
    default=float(presets.SIGMA_SWEEP_REPEATS),
    low=1.0,
    high=float(presets.MAX_SWEEP_REPEATS),
    options=(1.0, 10.0, 50.0, 200.0, 1000.0, 2000.0),
    when=(("view", ("sigma_sweep",)),),
    help="Each point pools this many independent weight draws: one draw of 10 units is noisy.",
)

CONTROLS = PageControls(
    "forward_pass",
    "forward-pass",
    (
        VIEW,
        replace(INIT_GROUP[0], default="xavier_normal", when=_network),
        *INIT_GROUP[1:],
        replace(ACTIVATION, when=_network),
        LEAKY_SLOPE,
        replace(LAYERS, default=12, when=_yours),
        replace(WIDTH, when=_yours),
        replace(SAMPLES, when=_yours),
        replace(INPUT_STD, when=_network),
        replace(BIAS_STD, when=_network),
        PAIR_LAYERS,
        SIGMA,
        SIGMA_SET,
        HISTOGRAMS,
        REPEATS,
        SEED,
    ),
)
