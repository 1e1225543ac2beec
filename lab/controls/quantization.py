"""Quantization range's controls: the shared network group (the Signal propagation page links
here with its values), the INT8 calibration and the formats shown."""

from __future__ import annotations

from collections.abc import Mapping

from lab.controls.core import ChoiceControl, MultiChoiceControl, PageControls
from lab.controls.network import NETWORK_GROUP
from lab.formats import CALIBRATIONS, FORMATS, INT8

_CALIBRATION_LABELS = {"per_layer": "Per layer", "first_layer": "Once, on layer 1"}
CALIBRATION = ChoiceControl(
    name="calibration",
    label="INT8 calibration",
    default="per_layer",
    options=tuple((name, _CALIBRATION_LABELS[name]) for name in CALIBRATIONS),
    widget="radio",
    help=(
        f"Per layer: each layer gets the scale max|a| / {INT8.qmax} of its own values. Once, on "
        "layer 1: layer 1's scale is reused everywhere, as static post-training quantization "
        "does with a scale calibrated on one tensor."
    ),
)
#: URL value -> format name in lab.formats (FP32 is left out: the network runs in it).
FORMAT_KEYS: dict[str, str] = {
    "fp16": "float16",
    "bf16": "bfloat16",
    "e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "int8": INT8.name,
}
_LABELS = {**{name: fmt.label for name, fmt in FORMATS.items()}, INT8.name: INT8.label}
SHOWN_FORMATS = MultiChoiceControl(
    name="formats",
    label="Formats to show",
    default=tuple(FORMAT_KEYS),
    options=tuple((key, _LABELS[name]) for key, name in FORMAT_KEYS.items()),
    help="Each format gets a panel, a verdict and columns in the per-layer table.",
)

#: The sidebar's two groups, by URL name.
NETWORK_NAMES: tuple[str, ...] = tuple(control.name for control in NETWORK_GROUP)
QUANTIZATION_NAMES: tuple[str, ...] = (CALIBRATION.name, SHOWN_FORMATS.name)

CONTROLS = PageControls(
    "quantization", "quantization", (*NETWORK_GROUP, CALIBRATION, SHOWN_FORMATS)
)


def chosen_formats(keys: object) -> tuple[str, ...]:
    """The lab.formats names of the chosen URL keys, in the page's order (FP16 first)."""
    chosen = SHOWN_FORMATS.check(keys)
    return tuple(name for key, name in FORMAT_KEYS.items() if key in chosen)


def network_values(values: Mapping[str, object]) -> dict[str, object]:
    """The network's values among a page's values, as far as they apply (``std`` only with
    ``init=normal``): what a link to another network page carries."""
    applied = CONTROLS.applied(CONTROLS.defaults() | CONTROLS.check_values(values))
    return {name: value for name, value in applied.items() if name in NETWORK_NAMES}
