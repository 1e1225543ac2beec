"""Weight distribution's controls: the layer (dense or conv), the schemes compared and their
parameters, and the sampling."""

from dataclasses import replace

from lab.controls.core import ChoiceControl, IntControl, MultiChoiceControl, PageControls
from lab.controls.network import HE_SLOPE, MODE, SCHEME_LABELS, SEED

LAYER = ChoiceControl(
    name="layer",
    label="Layer type",
    default="dense",
    options=(("dense", "Dense"), ("conv", "Conv 2-D")),
    widget="segmented",
)
_dense = (("layer", ("dense",)),)
_conv = (("layer", ("conv",)),)
FAN_IN = IntControl(
    name="fan_in", label="fan_in (inputs per unit)", default=1024, low=1, high=4096, when=_dense
)
FAN_OUT = IntControl(
    name="fan_out", label="fan_out (units)", default=512, low=1, high=4096, when=_dense
)
IN_CHANNELS = IntControl(
    name="c_in", label="Input channels C_in", default=64, low=1, high=1024, when=_conv
)
OUT_CHANNELS = IntControl(
    name="c_out", label="Output channels C_out", default=128, low=1, high=1024, when=_conv
)
KERNEL = IntControl(
    name="kernel", label="Kernel size k (k × k)", default=3, low=1, high=11, when=_conv
)
COMPARED = (
    "xavier_normal",
    "xavier_uniform",
    "glorot_truncated_normal",
    "he_normal",
    "he_uniform",
    "he_truncated_normal",
    "lecun_normal",
    "lecun_uniform",
    "lecun_truncated_normal",
    "torch_linear_default",
    "orthogonal",
)
SCHEMES = MultiChoiceControl(
    name="init",
    label="Schemes to compare",
    default=("xavier_normal", "xavier_uniform", "he_normal", "he_truncated_normal"),
    options=tuple((name, SCHEME_LABELS[name]) for name in COMPARED),
)
WEIGHT_SAMPLES = IntControl(
    name="samples",
    label="Weights sampled per scheme",
    default=20_000,
    low=1000,
    high=200_000,
    step=1000,
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
        replace(MODE, when=()),
        replace(HE_SLOPE, when=()),
        WEIGHT_SAMPLES,
        SEED,
    ),
)
