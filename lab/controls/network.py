"""The network's controls, declared once and used with the same names and limits on every page
that simulates a network (Forward pass, Signal propagation, Quantization range), by the quiz
links and by ``python -m lab simulate``."""

from __future__ import annotations

from lab.activations import ACTIVATION_NAMES, DEFAULT_LEAKY_SLOPE, get_activation
from lab.controls.core import ChoiceControl, Control, FloatControl, IntControl
from lab.initializers import SCHEME_NAMES, SCHEME_PARAMETERS, get_initializer

#: Schemes with a free parameter get a generic name (the engine's label includes the default).
_GENERIC_LABELS = {
    "normal": "Normal N(0, σ²)",
    "uniform": "Uniform U(−b, b)",
    "constant": "Constant c",
    "xavier_normal": "Xavier/Glorot normal",
    "xavier_uniform": "Xavier/Glorot uniform",
    "he_normal": "He/Kaiming normal",
    "he_uniform": "He/Kaiming uniform",
    "orthogonal": "Orthogonal",
}
SCHEME_LABELS: dict[str, str] = {
    name: _GENERIC_LABELS.get(name, get_initializer(name).label) for name in SCHEME_NAMES
}
ACTIVATION_LABELS: dict[str, str] = {
    name: "Leaky ReLU" if name == "leaky_relu" else get_activation(name).label
    for name in ACTIVATION_NAMES
}


def _takes(parameter: str) -> tuple[str, ...]:
    """The schemes that take ``parameter`` (lab.initializers.SCHEME_PARAMETERS)."""
    return tuple(name for name, params in SCHEME_PARAMETERS.items() if parameter in params)


def _log_values(low: float, high: float) -> tuple[float, ...]:
    """1-2-5 values per decade from ``low`` to ``high``."""
    values = []
    exponent = -6
    while 10.0**exponent <= high:
        for mantissa in (1, 2, 5):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                values.append(value)
        exponent += 1
    return tuple(values)


INIT = ChoiceControl(
    name="init",
    label="Weight initialization",
    default="he_normal",
    options=tuple(SCHEME_LABELS.items()),
    help="How the weight matrices are drawn. Xavier/Glorot keeps n·Var(W) = 1, He/Kaiming 2.",
)
GAIN = FloatControl(
    name="gain",
    label="Gain g",
    default=1.0,
    low=0.1,
    high=4.0,
    step=0.01,
    widget="number",
    when=(("init", _takes("gain")),),
    help="Multiplies the std: Var(W) = g² × the scheme's variance (PyTorch: calculate_gain).",
)
HE_SLOPE = FloatControl(
    name="slope",
    label="He slope a",
    default=0.0,
    low=0.0,
    high=1.0,
    step=0.01,
    widget="number",
    when=(("init", _takes("slope")),),
    help="The leaky-ReLU slope the He variance is designed for: 2 / ((1 + a²) n).",
)
MODE = ChoiceControl(
    name="mode",
    label="He mode",
    default="fan_in",
    options=(("fan_in", "fan_in"), ("fan_out", "fan_out")),
    widget="segmented",
    when=(("init", _takes("mode")),),
    help="fan_in keeps the forward signal's variance, fan_out the backward gradient's.",
)
STD = FloatControl(
    name="std",
    label="Weight std σ",
    default=1.0,
    low=1e-4,
    high=10.0,
    options=_log_values(1e-4, 10.0),
    when=(("init", _takes("std")),),
    help="Weights are N(0, σ²).",
)
BOUND = FloatControl(
    name="bound",
    label="Uniform bound b",
    default=1.0,
    low=1e-3,
    high=10.0,
    options=_log_values(1e-3, 10.0),
    when=(("init", _takes("bound")),),
    help="Weights are U(−b, b).",
)
VALUE = FloatControl(
    name="value",
    label="Constant c",
    default=0.1,
    low=-1.0,
    high=1.0,
    step=0.01,
    widget="number",
    when=(("init", _takes("value")),),
    help="Every weight equals c.",
)
ACTIVATION = ChoiceControl(
    name="activation",
    label="Activation",
    default="relu",
    options=tuple(ACTIVATION_LABELS.items()),
    help="The nonlinearity φ applied after every layer.",
)
LEAKY_SLOPE = FloatControl(
    name="leaky_slope",
    label="Leaky slope",
    default=DEFAULT_LEAKY_SLOPE,
    low=0.0,
    high=1.0,
    options=(0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
    when=(("activation", ("leaky_relu",)),),
    help="Leaky ReLU passes a·z for z < 0.",
)
LAYERS = IntControl(
    name="layers",
    label="Layers",
    default=20,
    low=1,
    high=100,
    help="Number of weight layers L.",
)
WIDTH = IntControl(
    name="width",
    label="Units per layer",
    default=256,
    low=2,
    # 512: drawing 100 orthogonal 1,024 x 1,024 matrices (one QR each) takes about 20 s of one
    # core even for one sample (lab.network.draw_cost); 100 x 512 takes about 3 s.
    high=512,
    widget="number",
    help="Every layer's width n.",
)
INPUT_STD = FloatControl(
    name="input_std",
    label="Input std",
    default=1.0,
    low=0.001,
    high=1000.0,
    options=_log_values(0.001, 1000.0),
    help="Inputs are N(0, std²).",
)
BIAS_STD = FloatControl(
    name="bias_std",
    label="Bias std",
    default=0.0,
    low=0.0,
    high=1.0,
    options=(0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
    help="Biases are N(0, std²); 0 means no bias.",
)
SAMPLES = IntControl(
    name="samples",
    label="Samples",
    default=500,
    low=1,
    high=10_000,
    widget="number",
    help="Input rows in the batch. A large network may use fewer; the page says so.",
)
SEED = IntControl(
    name="seed",
    label="Seed",
    default=0,
    low=0,
    high=999_999,
    widget="number",
    help="Same seed, same draws: a link reproduces the numbers.",
)

#: The init scheme and its parameters, in widget order.
INIT_GROUP: tuple[Control, ...] = (INIT, GAIN, HE_SLOPE, MODE, STD, BOUND, VALUE)
#: The whole network, in widget order.
NETWORK_GROUP: tuple[Control, ...] = (
    *INIT_GROUP,
    ACTIVATION,
    LEAKY_SLOPE,
    LAYERS,
    WIDTH,
    INPUT_STD,
    BIAS_STD,
    SAMPLES,
    SEED,
)
#: The group's controls of the input and the random draws rather than of the network's shape
#: and scheme: the pages fold them into a section of their own.
DRAW_NAMES: tuple[str, ...] = (INPUT_STD.name, BIAS_STD.name, SAMPLES.name, SEED.name)


def init_params(values: dict[str, object]) -> tuple[tuple[str, float | str], ...]:
    """The scheme's own parameters out of a page's values, as NetworkConfig.init_params."""
    scheme = str(values["init"])
    return tuple(
        (name, values[name])  # type: ignore[misc]
        for name in SCHEME_PARAMETERS.get(scheme, ())
        if name in values
    )
