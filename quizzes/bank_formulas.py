"""Numeric question templates on the initialization formulas.

Every answer is computed by the engine (``lab.initializers``, ``lab.activations``) from the
variant's params; the prompts show the same rounded params. Formulas: Xavier/Glorot (Glorot &
Bengio 2010), He/Kaiming (He et al. 2015), LeCun (LeCun et al. 1998), PyTorch's ``nn.Linear``
default and ``calculate_gain``, the Keras/JAX truncated normal, GPT-2's residual scaling
(Radford et al. 2019). ``FORMULA_TEMPLATES`` lists them in quiz order.
"""

from __future__ import annotations

import math

import numpy as np

from lab.activations import calculate_gain
from lab.initializers import (
    SCHEME_PARAMETERS,
    TRUNCATED_NORMAL_STD,
    conv_fans,
    fans_from_shape,
    get_initializer,
    variance_scaling,
)
from lab.validation import check_float, check_int
from quizzes import mistakes as mk
from quizzes.questions import Mistake, NumericQuestion, Params, format_value

TOPIC = "formulas"
#: Keys of the simulation pages the questions link to (lab.controls.registry).
PAGE_DISTRIBUTIONS = "weight_distribution"
PAGE_RAND = "gradient_flow"

#: Layer widths the templates draw from.
WIDTHS = (64, 96, 128, 192, 256, 320, 384, 512, 640, 768, 1024, 1280, 1536, 2048, 3072, 4096)
CHANNELS = (16, 32, 64, 128, 256, 512)
KERNELS = (3, 5, 7)
LEAKY_SLOPES = (0.2, 0.25, 0.3, 0.5)
GPT_LAYERS = (6, 12, 24, 36, 48, 96)
GPT_BASE_STD = 0.02
MATCHED_STDS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)
#: The textbook exercise: a 1024 -> 512 layer.
EXERCISE_FANS = {"fan_in": 1024, "fan_out": 512}
#: The bound printed in the textbook's solution hint (wrong: see reference.md errata).
TEXTBOOK_XAVIER_BOUND = 0.089


def gpt2_residual_std(layers: int, base_std: float = GPT_BASE_STD) -> float:
    """std of GPT-2's residual output projections: base_std / sqrt(2 L).

    Radford et al. 2019 scale the residual layers' weights by 1/sqrt(N), N = number of residual
    layers; each of the L blocks adds two (attention and MLP), as in nanoGPT's ``c_proj`` init.
    """
    layers = check_int("layers", layers, 1, 10_000)
    base_std = check_float("base_std", base_std, 0.0, 1.0, low_inclusive=False)
    return base_std / math.sqrt(2.0 * layers)


# --- params ---------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, values: tuple) -> object:
    item = values[int(rng.integers(len(values)))]
    return item.item() if isinstance(item, np.generic) else item


def distinct_fans(rng: np.random.Generator) -> Params:
    """{"fan_in", "fan_out"}: two different widths from ``WIDTHS``.

    Variants where a mistake's value would coincide with the answer or another mistake (e.g.
    fan_out = 2 fan_in makes "used fan_out" equal "forgot He's 2") are redrawn by
    ``NumericQuestion.variant_params``.
    """
    fan_in = int(_pick(rng, WIDTHS))
    fan_out = int(_pick(rng, tuple(w for w in WIDTHS if w != fan_in)))
    return {"fan_in": fan_in, "fan_out": fan_out}


def _conv(rng: np.random.Generator) -> Params:
    c_in, c_out = _pick(rng, CHANNELS), _pick(rng, CHANNELS)
    while c_out == c_in:
        c_out = _pick(rng, CHANNELS)
    return {"in_channels": c_in, "out_channels": c_out, "kernel_size": _pick(rng, KERNELS)}


# --- engine answers -------------------------------------------------------------------------


def _fans(p: Params) -> tuple[int, int]:
    return p["fan_in"], p["fan_out"]


def he_variance(p: Params) -> float:
    return get_initializer("he_normal").variance(*_fans(p))


def he_std(p: Params) -> float:
    return get_initializer("he_normal").std(*_fans(p))


def he_bound(p: Params) -> float:
    return get_initializer("he_uniform").bound(*_fans(p))


def xavier_variance(p: Params) -> float:
    return get_initializer("xavier_normal").variance(*_fans(p))


def xavier_std(p: Params) -> float:
    return get_initializer("xavier_normal").std(*_fans(p))


def _fan_sum(p: Params) -> int:
    """n_in + n_out of the question's layer."""
    return sum(_fans(p))


def xavier_bound(p: Params) -> float:
    return get_initializer("xavier_uniform").bound(*_fans(p))


def lecun_variance(p: Params) -> float:
    return get_initializer("lecun_normal").variance(*_fans(p))


def _fmt(value: float) -> str:
    return format_value(value, 6)


def _fan_text(p: Params) -> str:
    return rf"$n_\text{{in}} = {p['fan_in']}$ inputs and $n_\text{{out}} = {p['fan_out']}$ outputs"


def _dense_link(scheme: str, *, mode: str = "fan_in", gain: float = 1.0):
    """Weight distribution for the question's dense layer: its fans and the one scheme asked
    about, with every parameter the scheme takes (``SCHEME_PARAMETERS``) written out: He's mode
    and slope (the question's, else 0 for ReLU), Xavier's gain."""
    takes = SCHEME_PARAMETERS.get(scheme, ())

    def link(p: Params) -> dict[str, object]:
        values = {"layer": "dense", "fan_in": p["fan_in"], "fan_out": p["fan_out"]}
        values["init"] = (scheme,)
        if "mode" in takes:
            values["mode"] = mode
        if "slope" in takes:
            values["slope"] = p.get("slope", 0.0)
        if "gain" in takes:
            values["gain"] = gain
        return values

    return link


# --- He / Xavier / LeCun on a dense layer ---------------------------------------------------

HE_VARIANCE = NumericQuestion(
    id="he_variance",
    topic=TOPIC,
    title="He variance of a dense layer",
    difficulty=1,
    prompt=lambda p: (
        f"A dense ReLU layer has {_fan_text(p)}. What **variance** does He (Kaiming) normal "
        "initialization (mode `fan_in`) give each weight?"
    ),
    generate=distinct_fans,
    answer=he_variance,
    explanation=lambda p: (
        rf"He: $\operatorname{{Var}}(W) = 2 / n_\text{{in}} = 2/{p['fan_in']} = "
        rf"{_fmt(he_variance(p))}$. ReLU zeroes half of its inputs, so the factor 2 keeps the "
        "mean square of the activations from halving at every layer."
    ),
    mistakes=(
        mk.lecun_for_he(he_variance, 1.0),
        mk.std_for_variance(he_variance),
        mk.fan_out_for_fan_in(he_variance, 1.0),
        Mistake(
            "xavier_for_he",
            xavier_variance,
            "That is Xavier's 2 / (fan_in + fan_out). He divides 2 by fan_in only.",
        ),
        mk.inverted(he_variance),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_normal"),
)

HE_STD = NumericQuestion(
    id="he_std",
    topic=TOPIC,
    title="He standard deviation",
    difficulty=1,
    prompt=lambda p: (
        f"A dense ReLU layer has {_fan_text(p)}. What **standard deviation** does "
        "`torch.nn.init.kaiming_normal_` (mode `fan_in`, ReLU) give the weights?"
    ),
    generate=distinct_fans,
    answer=he_std,
    explanation=lambda p: (
        rf"$\sigma = \sqrt{{2 / n_\text{{in}}}} = \sqrt{{2/{p['fan_in']}}} = {_fmt(he_std(p))}$ "
        f"(variance {_fmt(he_variance(p))})."
    ),
    mistakes=(
        mk.variance_for_std(he_std),
        mk.lecun_for_he(he_std, 0.5),
        mk.bound_for_std(he_std),
        mk.fan_out_for_fan_in(he_std, 0.5),
        Mistake("xavier_for_he", xavier_std, "That is the Xavier std; He uses 2 / fan_in."),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_normal"),
)

XAVIER_VARIANCE = NumericQuestion(
    id="xavier_variance",
    topic=TOPIC,
    title="Xavier variance",
    difficulty=1,
    prompt=lambda p: (
        f"A dense tanh layer has {_fan_text(p)}. What **variance** does Xavier (Glorot) "
        "normal initialization with gain 1 give each weight?"
    ),
    generate=distinct_fans,
    answer=xavier_variance,
    explanation=lambda p: (
        rf"$\operatorname{{Var}}(W) = 2 / (n_\text{{in}} + n_\text{{out}}) = "
        rf"2/{p['fan_in'] + p['fan_out']} = {_fmt(xavier_variance(p))}$: the harmonic compromise "
        "between keeping the forward variance (1/fan_in) and the backward variance (1/fan_out)."
    ),
    mistakes=(
        mk.std_for_variance(
            xavier_variance,
            "That is the standard deviation sqrt(2 / (fan_in + fan_out)). Some texts write "
            "N(0, sqrt(...)) meaning the std; the variance is 2 / (fan_in + fan_out) itself.",
        ),
        mk.fan_sum_without_two(xavier_variance, 1.0),
        mk.fan_in_for_fan_avg(xavier_variance, 1.0),
        Mistake(
            "he_for_xavier",
            he_variance,
            "That is He's 2 / fan_in, for ReLU layers. Xavier divides 2 by fan_in + fan_out.",
        ),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("xavier_normal"),
)

XAVIER_STD = NumericQuestion(
    id="xavier_std",
    topic=TOPIC,
    title="Xavier normal standard deviation",
    difficulty=1,
    prompt=lambda p: (
        f"A dense tanh layer has {_fan_text(p)}. What **standard deviation** does "
        "`torch.nn.init.xavier_normal_` (gain 1) use?"
    ),
    generate=distinct_fans,
    answer=xavier_std,
    explanation=lambda p: (
        rf"$\sigma = \sqrt{{2 / (n_\text{{in}} + n_\text{{out}})}} = "
        rf"\sqrt{{2/{p['fan_in'] + p['fan_out']}}} = {_fmt(xavier_std(p))}$."
    ),
    mistakes=(
        mk.variance_for_std(
            xavier_std,
            "That is the variance 2 / (fan_in + fan_out); the std is its square root. (Some "
            "texts mix the two up; numpy and PyTorch take the std.)",
        ),
        mk.bound_for_std(xavier_std),
        mk.fan_sum_without_two(xavier_std, 0.5),
        mk.fan_in_for_fan_avg(xavier_std, 0.5),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("xavier_normal"),
)

XAVIER_BOUND = NumericQuestion(
    id="xavier_uniform_bound",
    topic=TOPIC,
    title="Xavier uniform bound",
    difficulty=2,
    prompt=lambda p: (
        f"A dense layer has {_fan_text(p)}. `xavier_uniform_` draws the weights from "
        "U(-b, b). What is b?"
    ),
    generate=distinct_fans,
    answer=xavier_bound,
    explanation=lambda p: (
        rf"U(-b, b) has variance $b^2/3$; matching $2/(n_\text{{in}}+n_\text{{out}})$ gives "
        rf"$b = \sqrt{{6/(n_\text{{in}}+n_\text{{out}})}} = \sqrt{{6/{p['fan_in'] + p['fan_out']}}}"
        rf" = {_fmt(xavier_bound(p))}$."
    ),
    mistakes=(
        mk.sqrt3_for_sqrt6(xavier_bound),
        mk.std_for_bound(xavier_bound),
        mk.forgot_sqrt(xavier_bound, "You left out the square root: b = sqrt(6 / (n_in + n_out))."),
        Mistake(
            "six_over_fan_avg",
            lambda p: xavier_bound(p) * math.sqrt(2.0),
            "You divided 6 by the average fan (n_in + n_out)/2. The 6 already contains the "
            "factor 2 of the average: b = sqrt(6 / (n_in + n_out)).",
        ),
        Mistake(
            "he_for_xavier",
            he_bound,
            "That is He's uniform bound sqrt(6 / fan_in). Xavier uses fan_in + fan_out.",
        ),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("xavier_uniform"),
)

HE_BOUND = NumericQuestion(
    id="he_uniform_bound",
    topic=TOPIC,
    title="He uniform bound",
    difficulty=2,
    prompt=lambda p: (
        f"A dense ReLU layer has {_fan_text(p)}. `kaiming_uniform_` (mode `fan_in`, ReLU) "
        "draws the weights from U(-b, b). What is b?"
    ),
    generate=distinct_fans,
    answer=he_bound,
    explanation=lambda p: (
        rf"$b = \sqrt{{3 \cdot 2/n_\text{{in}}}} = \sqrt{{6/{p['fan_in']}}} = {_fmt(he_bound(p))}$."
    ),
    mistakes=(
        mk.sqrt3_for_sqrt6(
            he_bound,
            "That is sqrt(3 / fan_in), the LeCun uniform bound. He doubles the variance for "
            "ReLU, so b = sqrt(3 x 2 / fan_in).",
        ),
        mk.std_for_bound(he_bound),
        mk.forgot_sqrt(he_bound),
        mk.fan_out_for_fan_in(he_bound, 0.5),
        Mistake(
            "xavier_for_he",
            xavier_bound,
            "That is the Xavier bound sqrt(6 / (fan_in + fan_out)). He uses fan_in only.",
        ),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_uniform"),
)

LECUN_VARIANCE = NumericQuestion(
    id="lecun_variance",
    topic=TOPIC,
    title="LeCun variance for SELU",
    difficulty=1,
    prompt=lambda p: (
        f"A dense SELU layer has {_fan_text(p)}. Self-normalizing networks use LeCun normal "
        "initialization. What **variance** does it give each weight?"
    ),
    generate=distinct_fans,
    answer=lecun_variance,
    explanation=lambda p: (
        rf"LeCun: $\operatorname{{Var}}(W) = 1/n_\text{{in}} = 1/{p['fan_in']} = "
        rf"{_fmt(lecun_variance(p))}$. SELU keeps mean 0 and variance 1 by itself; the weights "
        "only need to pass the variance through unchanged."
    ),
    mistakes=(
        mk.he_for_lecun(lecun_variance, 1.0),
        mk.std_for_variance(lecun_variance),
        mk.fan_out_for_fan_in(lecun_variance, 1.0),
        Mistake(
            "xavier_for_lecun",
            xavier_variance,
            "That is Xavier's 2 / (fan_in + fan_out). LeCun divides 1 by fan_in.",
        ),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("lecun_normal"),
)


# --- fan modes and shapes -------------------------------------------------------------------


def he_fan_out_std(p: Params) -> float:
    return get_initializer("he_normal", mode="fan_out").std(*_fans(p))


HE_FAN_OUT = NumericQuestion(
    id="he_fan_out_std",
    topic=TOPIC,
    title="He with mode fan_out",
    difficulty=2,
    prompt=lambda p: (
        f"`nn.Linear({p['fan_in']}, {p['fan_out']})` is followed by a ReLU. You call "
        "`kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')`. What standard "
        "deviation do the weights get?"
    ),
    generate=distinct_fans,
    answer=he_fan_out_std,
    explanation=lambda p: (
        rf"mode='fan_out' divides by the number of outputs: $\sigma = \sqrt{{2/n_\text{{out}}}} ="
        rf" \sqrt{{2/{p['fan_out']}}} = {_fmt(he_fan_out_std(p))}$. It keeps the variance of "
        "the backpropagated gradients instead of the forward activations."
    ),
    mistakes=(
        mk.fan_in_for_fan_out(he_fan_out_std, 0.5),
        mk.variance_for_std(he_fan_out_std),
        mk.lecun_for_he(he_fan_out_std, 0.5),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_normal", mode="fan_out"),
)


def _torch_shape(rng: np.random.Generator) -> Params:
    fans = distinct_fans(rng)
    if rng.random() < 0.5:
        return {"shape": [fans["fan_out"], fans["fan_in"]]}
    conv = _conv(rng)
    k = conv["kernel_size"]
    return {"shape": [conv["out_channels"], conv["in_channels"], k, k]}


def torch_fan_in(p: Params) -> float:
    return float(fans_from_shape(tuple(p["shape"]), "torch")[0])


TORCH_FAN_IN = NumericQuestion(
    id="torch_shape_fan_in",
    topic=TOPIC,
    title="fan_in from a PyTorch weight shape",
    difficulty=2,
    prompt=lambda p: (
        f"A PyTorch weight tensor has shape `{tuple(p['shape'])}`. What fan_in does "
        "`kaiming_normal_` compute for it?"
    ),
    generate=_torch_shape,
    answer=torch_fan_in,
    rel_tol=0.0,
    abs_tol=1e-6,  # a fan is a whole number: "exactly" means it (0.2 and 0.3 are two answers)
    tolerance_text="exactly",
    explanation=lambda p: (
        "PyTorch stores weights as (out, in, *kernel): fan_in = in x (product of the kernel "
        f"sizes) = {_fmt(torch_fan_in(p))}."
    ),
    mistakes=(
        Mistake(
            "fan_out_for_fan_in",
            lambda p: float(fans_from_shape(tuple(p["shape"]), "torch")[1]),
            "That is fan_out. PyTorch stores a weight as (out_features, in_features, ...): the "
            "first dimension counts outputs.",
        ),
        Mistake(
            "forgot_kernel",
            lambda p: float(p["shape"][1]) if len(p["shape"]) > 2 else None,
            "A convolution's unit sees in_channels x k x k inputs: multiply by the kernel size.",
        ),
    ),
)


def conv_fan_in(p: Params) -> float:
    return float(conv_fans(p["in_channels"], p["out_channels"], p["kernel_size"])[0])


def _conv_prompt(p: Params) -> str:
    return (
        f"`nn.Conv2d(in_channels={p['in_channels']}, out_channels={p['out_channels']}, "
        f"kernel_size={p['kernel_size']})`"
    )


CONV_FAN_IN = NumericQuestion(
    id="conv_fan_in",
    topic=TOPIC,
    title="fan_in of a convolution",
    difficulty=1,
    prompt=lambda p: f"What is the fan_in of {_conv_prompt(p)}?",
    generate=_conv,
    answer=conv_fan_in,
    rel_tol=0.0,
    abs_tol=1e-6,  # a fan is a whole number: "exactly" means it (0.2 and 0.3 are two answers)
    tolerance_text="exactly",
    explanation=lambda p: (
        rf"Each output unit sees a $k \times k$ patch of every input channel: fan_in = "
        rf"$C_\text{{in}} k^2 = {p['in_channels']} \cdot {p['kernel_size']}^2 = "
        rf"{_fmt(conv_fan_in(p))}$."
    ),
    mistakes=(
        Mistake(
            "fan_out_for_fan_in",
            lambda p: float(conv_fans(p["in_channels"], p["out_channels"], p["kernel_size"])[1]),
            "That is fan_out = C_out k^2. fan_in counts the inputs of one unit: C_in k^2.",
        ),
        Mistake(
            "kernel_not_squared",
            lambda p: float(p["in_channels"] * p["kernel_size"]),
            "The kernel is k x k: multiply by k twice.",
        ),
        Mistake(
            "forgot_kernel",
            lambda p: float(p["in_channels"]),
            "A unit sees a whole k x k patch of each input channel: multiply by k^2.",
        ),
        Mistake(
            "all_weights",
            lambda p: float(p["in_channels"] * p["out_channels"] * p["kernel_size"] ** 2),
            "That is the number of weights in the layer. fan_in counts the inputs of one "
            "output unit.",
        ),
    ),
)


def conv_he_std(p: Params) -> float:
    fan_in, fan_out = conv_fans(p["in_channels"], p["out_channels"], p["kernel_size"])
    return get_initializer("he_normal").std(fan_in, fan_out)


CONV_HE_STD = NumericQuestion(
    id="conv_he_std",
    topic=TOPIC,
    title="He std of a convolution",
    difficulty=2,
    prompt=lambda p: (
        f"{_conv_prompt(p)} is followed by a ReLU. What standard deviation does He normal "
        "(mode `fan_in`) give its weights?"
    ),
    generate=_conv,
    answer=conv_he_std,
    explanation=lambda p: (
        rf"fan_in = $C_\text{{in}} k^2 = {_fmt(conv_fan_in(p))}$, so "
        rf"$\sigma = \sqrt{{2/{_fmt(conv_fan_in(p))}}} = {_fmt(conv_he_std(p))}$."
    ),
    mistakes=(
        Mistake(
            "forgot_kernel",
            lambda p: get_initializer("he_normal").std(p["in_channels"], p["out_channels"]),
            "fan_in of a convolution is C_in x k x k, not C_in.",
        ),
        Mistake(
            "fan_out_for_fan_in",
            lambda p: get_initializer("he_normal", mode="fan_out").std(
                *conv_fans(p["in_channels"], p["out_channels"], p["kernel_size"])
            ),
            "You used fan_out = C_out k^2; mode fan_in uses C_in k^2.",
        ),
        mk.variance_for_std(conv_he_std),
    ),
)


# --- gains ----------------------------------------------------------------------------------

GAIN_NONLINEARITIES = ("tanh", "relu", "selu")


def named_gain(p: Params) -> float:
    return calculate_gain(p["nonlinearity"])


GAIN_NAMED = NumericQuestion(
    id="gain_named",
    topic=TOPIC,
    title="PyTorch's recommended gain",
    difficulty=1,
    prompt=lambda p: (
        f"What does `torch.nn.init.calculate_gain('{p['nonlinearity']}')` return? "
        "(A formula such as sqrt(1/7) is fine.)"
    ),
    generate=lambda rng: {"nonlinearity": _pick(rng, GAIN_NONLINEARITIES)},
    answer=named_gain,
    explanation=lambda p: (
        f"calculate_gain('{p['nonlinearity']}') = {_fmt(named_gain(p))}. The gain multiplies "
        "the std (its square multiplies the variance): tanh 5/3, ReLU sqrt(2), SELU 3/4, "
        "linear and sigmoid 1. For SELU, PyTorch's documentation advises "
        "nonlinearity='linear' instead (gain 1, variance 1/n), the stable fixed point that "
        "self-normalizing networks need; its default 3/4 gives up that normalization for "
        "steadier gradients in rectangular layers."
    ),
    mistakes=(
        mk.squared_gain(named_gain),
        Mistake(
            "gain_one",
            lambda p: 1.0,
            "1 is the gain of linear layers and sigmoid; this nonlinearity has its own.",
        ),
    ),
)


def leaky_gain(p: Params) -> float:
    return calculate_gain("leaky_relu", p["slope"])


GAIN_LEAKY = NumericQuestion(
    id="gain_leaky_relu",
    topic=TOPIC,
    title="Gain of leaky ReLU",
    difficulty=2,
    prompt=lambda p: (
        f"What is PyTorch's recommended gain for a leaky ReLU with negative slope a = {p['slope']}?"
    ),
    generate=lambda rng: {"slope": _pick(rng, LEAKY_SLOPES)},
    answer=leaky_gain,
    explanation=lambda p: (
        rf"$\sqrt{{2/(1+a^2)}} = \sqrt{{2/(1+{p['slope']}^2)}} = {_fmt(leaky_gain(p))}$: the "
        r"negative side keeps $a^2$ of the mean square, so $E[\phi(z)^2] = (1+a^2)/2$."
    ),
    mistakes=(
        Mistake(
            "ignored_slope",
            lambda p: calculate_gain("relu"),
            "That is the ReLU gain sqrt(2). The negative slope a keeps some of the signal: "
            "divide by 1 + a^2 under the root.",
        ),
        mk.squared_gain(leaky_gain),
        Mistake(
            "slope_not_squared",
            lambda p: math.sqrt(2.0 / (1.0 + p["slope"])),
            "The negative side scales the mean square by a^2, not a.",
        ),
    ),
)


def he_leaky_variance(p: Params) -> float:
    return get_initializer("he_normal", slope=p["slope"]).variance(*_fans(p))


HE_LEAKY_VARIANCE = NumericQuestion(
    id="he_leaky_variance",
    topic=TOPIC,
    title="He variance for leaky ReLU",
    difficulty=2,
    prompt=lambda p: (
        f"A dense leaky-ReLU layer (negative slope a = {p['slope']}) has {_fan_text(p)}. What "
        f"**variance** does `kaiming_normal_(w, a={p['slope']}, mode='fan_in', "
        "nonlinearity='leaky_relu')` give each weight?"
    ),
    generate=lambda rng: {**distinct_fans(rng), "slope": _pick(rng, LEAKY_SLOPES)},
    answer=he_leaky_variance,
    explanation=lambda p: (
        rf"$\operatorname{{Var}} = 2 / ((1+a^2)\, n_\text{{in}}) = 2/((1+{p['slope']}^2) \cdot "
        rf"{p['fan_in']}) = {_fmt(he_leaky_variance(p))}$."
    ),
    mistakes=(
        Mistake(
            "ignored_slope",
            he_variance,
            "That is the ReLU value 2 / fan_in. With a leaky slope a the scale is 2 / (1 + a^2).",
        ),
        Mistake(
            "slope_not_squared",
            lambda p: 2.0 / ((1.0 + p["slope"]) * p["fan_in"]),
            "The scale is 2 / (1 + a^2): the slope enters squared.",
        ),
        mk.std_for_variance(he_leaky_variance),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_normal"),
)


def xavier_tanh_std(p: Params) -> float:
    return get_initializer("xavier_normal", gain=calculate_gain("tanh")).std(*_fans(p))


XAVIER_TANH_STD = NumericQuestion(
    id="xavier_tanh_std",
    topic=TOPIC,
    title="Xavier with the tanh gain",
    difficulty=2,
    prompt=lambda p: (
        f"A dense tanh layer has {_fan_text(p)}. What std does "
        "`xavier_normal_(w, gain=calculate_gain('tanh'))` use?"
    ),
    generate=distinct_fans,
    answer=xavier_tanh_std,
    explanation=lambda p: (
        rf"$\sigma = \tfrac{{5}}{{3}} \sqrt{{2/(n_\text{{in}}+n_\text{{out}})}} = "
        rf"{_fmt(xavier_tanh_std(p))}$."
    ),
    mistakes=(
        Mistake(
            "forgot_gain",
            xavier_std,
            "That is gain 1. calculate_gain('tanh') is 5/3, and it multiplies the std.",
        ),
        Mistake(
            "gain_squared_on_std",
            lambda p: xavier_tanh_std(p) * calculate_gain("tanh"),
            "The std gets the gain once (the variance gets gain^2).",
        ),
        mk.variance_for_std(xavier_tanh_std),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("xavier_normal", gain=calculate_gain("tanh")),
)


# --- library defaults and variants ----------------------------------------------------------


def truncated_sigma(p: Params) -> float:
    return get_initializer("he_truncated_normal").untruncated_std(*_fans(p))


TRUNCATED_SIGMA = NumericQuestion(
    id="truncated_normal_sigma",
    topic=TOPIC,
    title="Keras/JAX truncated normal correction",
    difficulty=3,
    prompt=lambda p: (
        f"Keras' `HeNormal` draws from a normal truncated at two standard deviations and "
        f"corrects the scale so that the samples keep the variance 2/fan_in. For fan_in = "
        f"{p['fan_in']}, what is the std parameter of the normal **before truncation**? "
        f"(The std of N(0, 1) truncated to [-2, 2] is {TRUNCATED_NORMAL_STD:.4f}.)"
    ),
    generate=distinct_fans,
    answer=truncated_sigma,
    explanation=lambda p: (
        rf"Cutting the tails shrinks the std by the factor {TRUNCATED_NORMAL_STD:.4f}, so the "
        rf"parameter is divided by it: $\sqrt{{2/{p['fan_in']}}} / {TRUNCATED_NORMAL_STD:.4f} = "
        rf"{_fmt(truncated_sigma(p))}$."
    ),
    mistakes=(
        Mistake(
            "no_correction",
            he_std,
            "That is the target std itself. Truncation removes the tails and shrinks the "
            "spread, so the parameter must be larger.",
        ),
        Mistake(
            "multiplied_correction",
            lambda p: he_std(p) * TRUNCATED_NORMAL_STD,
            "Multiplying makes the spread even smaller. Divide by the truncated std to make up "
            "for the lost tails.",
        ),
        mk.variance_for_std(truncated_sigma),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_truncated_normal"),
)


def torch_linear_bound(p: Params) -> float:
    return get_initializer("torch_linear_default").bound(*_fans(p))


def torch_linear_variance(p: Params) -> float:
    return get_initializer("torch_linear_default").variance(*_fans(p))


TORCH_LINEAR_BOUND = NumericQuestion(
    id="torch_linear_bound",
    topic=TOPIC,
    title="PyTorch nn.Linear default bound",
    difficulty=2,
    prompt=lambda p: (
        f"`nn.Linear({p['fan_in']}, {p['fan_out']})` initializes its weight with "
        "`kaiming_uniform_(a=sqrt(5))`, i.e. U(-b, b). What is b?"
    ),
    generate=distinct_fans,
    answer=torch_linear_bound,
    explanation=lambda p: (
        r"The gain for a = sqrt(5) is $\sqrt{2/(1+5)} = \sqrt{1/3}$, so the variance is "
        rf"$1/(3 n_\text{{in}})$ and $b = \sqrt{{3 \cdot 1/(3 n_\text{{in}})}} = "
        rf"1/\sqrt{{{p['fan_in']}}} = {_fmt(torch_linear_bound(p))}$."
    ),
    mistakes=(
        Mistake(
            "he_for_torch_default",
            he_bound,
            "That is kaiming_uniform_ with a = 0 (ReLU). nn.Linear passes a = sqrt(5), which "
            "makes the gain^2 2/(1+5) = 1/3.",
        ),
        mk.forgot_sqrt(torch_linear_bound, "You left out the square root: b = 1/sqrt(fan_in)."),
        Mistake(
            "lecun_for_torch_default",
            lambda p: get_initializer("lecun_uniform").bound(*_fans(p)),
            "That is the LeCun uniform bound sqrt(3 / fan_in); nn.Linear's variance is three "
            "times smaller.",
        ),
        mk.std_for_bound(torch_linear_bound),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("torch_linear_default"),
)

TORCH_LINEAR_VARIANCE = NumericQuestion(
    id="torch_linear_variance",
    topic=TOPIC,
    title="PyTorch nn.Linear default variance",
    difficulty=3,
    prompt=lambda p: (
        f"`nn.Linear({p['fan_in']}, {p['fan_out']})` draws its weights from U(-b, b) with "
        f"b = 1/sqrt({p['fan_in']}). What is their **variance**? Compare it with He's 2/fan_in."
    ),
    generate=distinct_fans,
    answer=torch_linear_variance,
    explanation=lambda p: (
        rf"$\operatorname{{Var}} = b^2/3 = 1/(3 \cdot {p['fan_in']}) = "
        rf"{_fmt(torch_linear_variance(p))}$, six times smaller than He's 2/fan_in: deep "
        "ReLU stacks with the default init shrink their signal layer after layer."
    ),
    mistakes=(
        Mistake(
            "bound_squared",
            lambda p: torch_linear_bound(p) ** 2,
            "That is b^2. A uniform U(-b, b) has variance b^2 / 3.",
        ),
        Mistake(
            "he_for_torch_default",
            he_variance,
            "That is He's 2/fan_in, not nn.Linear's default.",
        ),
        mk.std_for_variance(torch_linear_variance),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("torch_linear_default"),
)


def matched_bound(p: Params) -> float:
    # A uniform initializer whose variance equals std^2 (fan 1): the engine's b = sqrt(3 Var).
    return variance_scaling(p["std"] ** 2, "fan_in", "uniform").bound(1, 1)


def _matched_note(p: Params) -> str:
    """Gradient flow compares N(0, 1) with a variance-matched uniform; it has no std control."""
    text = "Opens the simulation comparing N(0, 1) weights with a uniform of the same variance"
    if p["std"] == 1.0:
        return text + "."
    return text + f" (the page has no std control, so it uses std 1, not {p['std']})."


MATCHED_UNIFORM = NumericQuestion(
    id="matched_uniform_bound",
    topic=TOPIC,
    title="A uniform with the same variance",
    difficulty=2,
    prompt=lambda p: (
        f"You replace weights drawn from N(0, {p['std']}^2) by weights from U(-b, b) with the "
        "**same variance**. What is b?"
    ),
    generate=lambda rng: {"std": _pick(rng, MATCHED_STDS)},
    answer=matched_bound,
    explanation=lambda p: (
        rf"U(-b, b) has variance $b^2/3$; setting it to ${p['std']}^2$ gives "
        rf"$b = \sqrt{{3}} \cdot {p['std']} = {_fmt(matched_bound(p))}$. With matched variances, "
        "wide layers behave the same for both shapes (central limit theorem)."
    ),
    mistakes=(
        Mistake(
            "bound_equals_std",
            lambda p: float(p["std"]),
            "U(-s, s) has std s / sqrt(3), smaller than s: the bound must be sqrt(3) times "
            "the std.",
        ),
        mk.forgot_sqrt(matched_bound, "You left out the square root: b = sqrt(3 Var)."),
        Mistake(
            "width_formula",
            lambda p: 2.0 * matched_bound(p),
            "Var = b^2/12 is for U(0, b). U(-b, b) has width 2b, so Var = (2b)^2/12 = b^2/3.",
        ),
    ),
    page=PAGE_RAND,
    page_params=lambda p: {"uniform": "matched"},
    page_note=_matched_note,
)


def rand_variance(p: Params) -> float:
    return get_initializer("rand").variance(1, 1)


RAND_VARIANCE = NumericQuestion(
    id="rand_variance",
    topic=TOPIC,
    title="Variance of np.random.rand",
    difficulty=1,
    prompt="`np.random.rand` draws from U[0, 1). What is the **variance** of one draw?",
    answer=rand_variance,
    explanation=lambda p: (
        f"(1 - 0)^2 / 12 = {_fmt(rand_variance(p))}, with mean 1/2: every weight is positive, "
        "which is what breaks a network initialized with rand, more than the shape."
    ),
    mistakes=(
        Mistake("symmetric_uniform", lambda p: 1.0 / 3.0, "That is the variance of U(-1, 1)."),
        Mistake("mean_for_variance", lambda p: 0.5, "That is the mean of U[0, 1)."),
        Mistake("randn_variance", lambda p: 1.0, "That is the variance of randn, N(0, 1)."),
        mk.std_for_variance(rand_variance),
    ),
    page=PAGE_RAND,
    page_params=lambda p: {"uniform": "rand"},
)


GPT_RESIDUAL_STD = NumericQuestion(
    id="gpt_residual_std",
    topic=TOPIC,
    title="GPT-2 residual scaling",
    difficulty=2,
    prompt=lambda p: (
        f"A GPT-2 style transformer has L = {p['layers']} blocks, each adding an attention "
        "and an MLP branch to the residual stream. Weights get std "
        f"{p['base_std']}, except the output projections of the residual branches, which "
        "are scaled by 1/sqrt(N) for N residual branches. What is their std?"
    ),
    generate=lambda rng: {"layers": _pick(rng, GPT_LAYERS), "base_std": GPT_BASE_STD},
    answer=lambda p: gpt2_residual_std(p["layers"], p["base_std"]),
    explanation=lambda p: (
        rf"N = 2L = {2 * p['layers']}, so $\sigma = {p['base_std']}/\sqrt{{{2 * p['layers']}}} = "
        rf"{_fmt(gpt2_residual_std(p['layers'], p['base_std']))}$. Each branch adds variance to "
        "the residual stream; scaling by 1/sqrt(N) keeps the sum of N branches at the size of one."
    ),
    mistakes=(
        Mistake(
            "one_branch_per_block",
            lambda p: p["base_std"] / math.sqrt(p["layers"]),
            "Each block has two residual branches (attention and MLP): N = 2L.",
        ),
        Mistake(
            "forgot_sqrt",
            lambda p: p["base_std"] / (2 * p["layers"]),
            "The scale is 1/sqrt(N), not 1/N: variances add, so the std scales with the root.",
        ),
        Mistake(
            "unscaled",
            lambda p: p["base_std"],
            "That is the unscaled std; the residual projections are scaled down.",
        ),
        mk.variance_for_std(lambda p: gpt2_residual_std(p["layers"], p["base_std"])),
    ),
)


# --- the textbook exercise (1024 -> 512) ----------------------------------------------------

EXERCISE_XAVIER_BOUND = NumericQuestion(
    id="exercise2_xavier_bound",
    topic=TOPIC,
    title="Exercise: Xavier bound for 1024 -> 512",
    difficulty=1,
    prompt=(
        "A layer has 1024 inputs and 512 outputs. What bound b does Xavier uniform "
        "initialization use, U(-b, b)?"
    ),
    generate=lambda rng: dict(EXERCISE_FANS),
    answer=xavier_bound,
    explanation=lambda p: (
        rf"Var = 2/1536 = {_fmt(xavier_variance(p))}, $b = \sqrt{{6/1536}} = "
        rf"{_fmt(xavier_bound(p))}$. (For He: Var = 2/1024 = {_fmt(he_variance(p))}, "
        rf"b = sqrt(6/1024) = {_fmt(he_bound(p))}.)"
    ),
    mistakes=(
        Mistake(
            "textbook_089",
            lambda p: TEXTBOOK_XAVIER_BOUND,
            lambda p: (
                f"{TEXTBOOK_XAVIER_BOUND:g} is wrong: it is about sqrt(6/"
                f"{_fan_sum(p) / 2:g}) = {_fmt(xavier_bound(p) * math.sqrt(2.0))}, which "
                f"divides 6 by the average fan (n_in + n_out)/2 = {_fan_sum(p) / 2:g} instead "
                f"of the sum n_in + n_out = {_fan_sum(p):g}. Xavier uniform needs "
                "Var = b²/3 = 2/(n_in + n_out): redo b = sqrt(6 / (n_in + n_out))."
            ),
            summary=f"the textbook's {TEXTBOOK_XAVIER_BOUND:g}: 6 divided by the average fan, "
            "not the sum n_in + n_out",
        ),
        mk.std_for_bound(xavier_bound),
        mk.sqrt3_for_sqrt6(xavier_bound),
        mk.variance_for_bound(xavier_bound),
        Mistake("he_for_xavier", he_bound, "That is He's bound sqrt(6 / fan_in)."),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("xavier_uniform"),
)

EXERCISE_HE_BOUND = NumericQuestion(
    id="exercise2_he_bound",
    topic=TOPIC,
    title="Exercise: He bound for 1024 -> 512",
    difficulty=1,
    prompt=(
        "A ReLU layer has 1024 inputs and 512 outputs. What bound b does He uniform "
        "initialization (mode fan_in) use, U(-b, b)?"
    ),
    generate=lambda rng: dict(EXERCISE_FANS),
    answer=he_bound,
    explanation=lambda p: (
        rf"Var = 2/1024 = {_fmt(he_variance(p))}, $b = \sqrt{{6/1024}} = {_fmt(he_bound(p))}$."
    ),
    mistakes=(
        mk.sqrt3_for_sqrt6(he_bound, "That is sqrt(3/1024), the LeCun bound: He doubles it."),
        mk.std_for_bound(he_bound),
        mk.forgot_sqrt(he_bound),
        mk.fan_out_for_fan_in(he_bound, 0.5),
        Mistake("xavier_for_he", xavier_bound, "That is the Xavier bound; He uses fan_in."),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=_dense_link("he_uniform"),
)


FORMULA_TEMPLATES: tuple[NumericQuestion, ...] = (
    HE_VARIANCE,
    HE_STD,
    XAVIER_VARIANCE,
    XAVIER_STD,
    XAVIER_BOUND,
    HE_BOUND,
    LECUN_VARIANCE,
    HE_FAN_OUT,
    TORCH_FAN_IN,
    CONV_FAN_IN,
    CONV_HE_STD,
    GAIN_NAMED,
    GAIN_LEAKY,
    HE_LEAKY_VARIANCE,
    XAVIER_TANH_STD,
    TRUNCATED_SIGMA,
    TORCH_LINEAR_BOUND,
    TORCH_LINEAR_VARIANCE,
    MATCHED_UNIFORM,
    RAND_VARIANCE,
    GPT_RESIDUAL_STD,
    EXERCISE_XAVIER_BOUND,
    EXERCISE_HE_BOUND,
)
