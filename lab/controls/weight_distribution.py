"""Weight distribution's controls: the layer (dense or conv), the schemes compared and their
parameters, and the sampling. Limits and defaults come from lab.weights; the scheme
parameters are the network group's (lab.controls.network) with the same names and ranges.

``init`` lists the compared schemes (``init=he_normal`` shows that one). ``mode``, ``slope``
and ``gain`` keep the network group's condition on ``init``: each is shown when one of the
compared schemes takes it, and applies to those schemes.
"""

from __future__ import annotations

from dataclasses import replace

from lab.controls.core import ChoiceControl, IntControl, MultiChoiceControl, PageControls
from lab.controls.network import GAIN, HE_SLOPE, MODE, SCHEME_LABELS, SEED
from lab.weights import (
    COMPARED_SCHEMES,
    DEFAULT_COMPARED,
    DEFAULT_FAN_IN,
    DEFAULT_FAN_OUT,
    DEFAULT_IN_CHANNELS,
    DEFAULT_KERNEL,
    DEFAULT_OUT_CHANNELS,
    DEFAULT_SAMPLES,
    MAX_CHANNELS,
    MAX_DENSE_FAN,
    MAX_KERNEL,
    MAX_SAMPLES,
    MIN_SHOWN_SAMPLES,
    SAMPLES_STEP,
)

LAYER = ChoiceControl(
    name="layer",
    label="Layer type",
    default="dense",
    options=(("dense", "Dense"), ("conv", "Conv 2-D")),
    widget="segmented",
    help="A conv layer's fans count every weight a unit sees: C_in k² in, C_out k² out.",
)
_dense = (("layer", ("dense",)),)
_conv = (("layer", ("conv",)),)
FAN_IN = IntControl(
    name="fan_in",
    label="fan_in (inputs per unit)",
    default=DEFAULT_FAN_IN,
    low=1,
    high=MAX_DENSE_FAN,
    when=_dense,
)
FAN_OUT = IntControl(
    name="fan_out",
    label="fan_out (units)",
    default=DEFAULT_FAN_OUT,
    low=1,
    high=MAX_DENSE_FAN,
    when=_dense,
)
IN_CHANNELS = IntControl(
    name="c_in",
    label="Input channels C_in",
    default=DEFAULT_IN_CHANNELS,
    low=1,
    high=MAX_CHANNELS,
    when=_conv,
)
OUT_CHANNELS = IntControl(
    name="c_out",
    label="Output channels C_out",
    default=DEFAULT_OUT_CHANNELS,
    low=1,
    high=MAX_CHANNELS,
    when=_conv,
)
KERNEL = IntControl(
    name="kernel",
    label="Kernel size k (k × k)",
    default=DEFAULT_KERNEL,
    low=1,
    high=MAX_KERNEL,
    when=_conv,
)
SCHEMES = MultiChoiceControl(
    name="init",
    label="Schemes to compare",
    default=DEFAULT_COMPARED,
    options=tuple((name, SCHEME_LABELS[name]) for name in COMPARED_SCHEMES),
    help="Each scheme gets its own histogram, all on one axis.",
)
HE_MODE = replace(
    MODE,
    help="He schemes only. fan_in keeps the forward signal's variance, fan_out the backward "
    "gradient's.",
)
SLOPE = replace(
    HE_SLOPE,
    help="He schemes only: variance 2 / ((1 + a²) n). The Keras/JAX truncated He normal has a "
    "fixed scale of 2 and ignores it.",
)
XAVIER_GAIN = replace(
    GAIN,
    label="Gain g (Xavier, orthogonal)",
    help="Xavier/Glorot (normal, uniform) and orthogonal only: Var(W) = g² × the scheme's "
    "variance (PyTorch: calculate_gain, e.g. 5/3 for tanh). The Keras/JAX truncated Glorot "
    "normal has no gain.",
)
WEIGHT_SAMPLES = IntControl(
    name="samples",
    label="Weights sampled per scheme",
    default=DEFAULT_SAMPLES,
    low=MIN_SHOWN_SAMPLES,
    high=MAX_SAMPLES,
    step=SAMPLES_STEP,
    help="Also the draws per law in rand vs randn. More weights, a closer match to the exact "
    "density.",
)

CONTROLS = PageControls(
    "weight_distribution",
    "weight-distribution",
    (
        LAYER,
        FAN_IN,
        FAN_OUT,
        IN_CHANNELS,
        OUT_CHANNELS,
        KERNEL,
        SCHEMES,
        HE_MODE,
        SLOPE,
        XAVIER_GAIN,
        WEIGHT_SAMPLES,
        SEED,
    ),
)
