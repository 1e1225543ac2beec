"""Forward pass's controls: the experiment, the network (for the two network experiments), and
each preset's own settings."""

from dataclasses import replace

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

NETWORK_VIEWS = ("five_layers", "network")
VIEW = ChoiceControl(
    name="view",
    label="Experiment",
    default="five_layers",
    options=(
        ("five_layers", "5,000 points × 5 layers"),
        ("network", "Your network"),
        ("xavier_pair", "Xavier: linear vs ReLU"),
        ("sigma_sweep", "σ sweep, X = [1,2,3,4,5]"),
    ),
    widget="segmented",
    help="Every setting below is stored in the page address: copy it to share this view.",
)
_network = (("view", NETWORK_VIEWS),)
_yours = (("view", ("network",)),)
PAIR_LAYERS = IntControl(
    name="pair_layers",
    label="Layers",
    default=5,
    low=1,
    high=20,
    when=(("view", ("xavier_pair",)),),
)
HISTOGRAMS = ChoiceControl(
    name="hist",
    label="Histograms of",
    default="pre",
    options=(("pre", "z (pre-activation)"), ("post", "a (activation)")),
    widget="segmented",
    when=(("view", (*NETWORK_VIEWS, "xavier_pair")),),
)
REPEATS = FloatControl(
    name="reps",
    label="Weight draws pooled",
    default=200.0,
    low=1.0,
    high=2000.0,
    options=(1.0, 10.0, 50.0, 200.0, 1000.0, 2000.0),
    when=(("view", ("sigma_sweep",)),),
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
        HISTOGRAMS,
        REPEATS,
        SEED,
    ),
)
