"""Quantization range's controls: the shared network group, the INT8 calibration and the
formats shown."""

from lab.controls.core import ChoiceControl, MultiChoiceControl, PageControls
from lab.controls.network import NETWORK_GROUP
from lab.formats import FORMATS, INT8

CALIBRATION = ChoiceControl(
    name="calibration",
    label="INT8 calibration",
    default="per_layer",
    options=(("per_layer", "Per layer"), ("first_layer", "Once, on layer 1")),
    widget="radio",
    help=(
        f"Per layer: each layer gets the scale max|a| / {INT8.qmax} of its own values. Once, on "
        "layer 1: layer 1's scale is reused everywhere, as static post-training quantization "
        "does with a scale calibrated on one tensor."
    ),
)
#: URL value -> format (FP32 is left out: the network runs in it).
FORMAT_KEYS = {
    "fp16": "float16",
    "bf16": "bfloat16",
    "e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "int8": INT8.name,
}
_LABELS = {**{name: fmt.label for name, fmt in FORMATS.items()}, INT8.name: INT8.label}
FORMAT_CHOICES = tuple((key, _LABELS[name]) for key, name in FORMAT_KEYS.items())
SHOWN_FORMATS = MultiChoiceControl(
    name="formats",
    label="Formats to show",
    default=tuple(name for name, _ in FORMAT_CHOICES),
    options=FORMAT_CHOICES,
)

CONTROLS = PageControls(
    "quantization", "quantization", (*NETWORK_GROUP, CALIBRATION, SHOWN_FORMATS)
)
