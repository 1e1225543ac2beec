"""Question templates on signal propagation through depth.

Every answer comes from the engine: ``lab.theory.predict`` (the mean-field length map of Poole
et al. 2016, exact for linear and ReLU layers at infinite width), ``lab.theory.chi1``,
``classify_phase`` and ``depth_scale`` (Schoenholz et al. 2017), ``lab.theory.effective_sw2``
and ``lab.initializers``. Facts: a linear layer of N(0, 1) weights multiplies the variance by
its width n (so 10 layers of 512 give 512^10 = 2^90); ReLU halves E[a^2] (He et al. 2015), so
Xavier (1/n) + ReLU shrinks the RMS by 2^(-L/2) and He (2/n) keeps the pre-activation variance
at 2 Var(x). ``SIGNAL_TEMPLATES`` lists them in quiz order.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from lab.controls.signal_propagation import CONTROLS as SIGNAL_CONTROLS
from lab.diagnosis import advise, scheme_fit
from lab.formats import FORMATS
from lab.initializers import get_initializer
from lab.network import NetworkConfig, simulate
from lab.theory import chi1, classify_phase, depth_scale, effective_sw2, predict
from quizzes import mistakes as mk
from quizzes.questions import (
    LINK_WITH_NUMBERS,
    ChoiceQuestion,
    Mistake,
    NumericQuestion,
    Params,
    article,
    format_value,
    page_accepts,
    tex_value,
)

TOPIC = "signal"
#: Keys of the simulation pages the questions link to (lab.controls.registry).
PAGE_SIGNAL = "signal_propagation"
PAGE_DISTRIBUTIONS = "weight_distribution"
#: The scheme whose gain sets sigma_w^2 = n Var(W) on the page's square layers: Xavier normal,
#: n Var(W) = gain^2 (the sigma_w^2 questions' links).
SW2_SCHEME = "xavier_normal"

#: Widths and depths the templates draw from (modest, so the linked simulation is quick).
WIDTHS = (64, 128, 256, 512)  # linked widths stay within the pages' declared range
DEPTHS = tuple(range(5, 21))
RELU_DEPTHS = tuple(range(4, 17))
INPUT_STDS = (0.5, 1.0, 2.0, 3.0, 4.0)
#: Weight scales sw2 = n Var(W) for the ReLU phase questions (He's critical value is 2).
PHASE_SW2 = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
CHI_SW2 = (0.5, 1.0, 1.2, 1.5, 1.6, 1.8, 2.5, 3.0, 4.0)
ORDERED_SW2 = (0.5, 1.0, 1.2, 1.4, 1.5, 1.6, 1.8, 1.9)
#: The textbook's quick checks: 10 linear layers of width 512, He for 512 inputs.
TEXTBOOK_LINEAR = {"layers": 10, "width": 512}
TEXTBOOK_HE_FAN_IN = 512
#: Depths the phase and criticality prompts name (their links open these depths).
PHASE_LAYERS = 50
CRITICAL_LAYERS = 100


def _pick(rng: np.random.Generator, values: tuple) -> object:
    item = values[int(rng.integers(len(values)))]
    return item.item() if isinstance(item, np.generic) else item


def _fmt(value: float) -> str:
    return format_value(value, 6)


def _depth_width(rng: np.random.Generator) -> Params:
    return {"layers": _pick(rng, DEPTHS), "width": _pick(rng, WIDTHS)}


def _relu_net(rng: np.random.Generator) -> Params:
    return {"layers": _pick(rng, RELU_DEPTHS), "width": _pick(rng, WIDTHS)}


def _relu_net_with_input(rng: np.random.Generator) -> Params:
    return {**_relu_net(rng), "input_std": _pick(rng, INPUT_STDS)}


def _signal_link(init: str, activation: str, **settings: object):
    """Signal propagation with ``init`` and ``activation``, the question's depth, width and
    input std (when the page's input std offers it) and ``settings``."""

    def link(p: Params) -> dict[str, object]:
        values: dict[str, object] = {"init": init, "activation": activation, **settings}
        values |= {key: p[key] for key in ("layers", "width") if key in p}
        if "input_std" in p and page_accepts(PAGE_SIGNAL, "input_std", p["input_std"]):
            values["input_std"] = p["input_std"]
        return values

    return link


def _input_std_note(p: Params) -> str:
    """The link's help: the page's input std takes 1-2-5 values only."""
    if page_accepts(PAGE_SIGNAL, "input_std", p["input_std"]):
        return LINK_WITH_NUMBERS
    return (
        "Opens the simulation with this question's network but a unit input: the page's input "
        f"std has no setting {p['input_std']:g}."
    )


def sw2_gain(sw2: float) -> float:
    """The gain of ``SW2_SCHEME`` that gives n Var(W) = sw2 on square layers: Var(W) scales
    with gain^2, so gain = sqrt(sw2 / sw2 at gain 1) (``lab.theory.effective_sw2``)."""
    width = 256  # any square layer: Xavier's gain-1 value is n / n = 1
    return math.sqrt(sw2 / effective_sw2(SW2_SCHEME, width, width).sw2)


def _sw2_link(**settings: object):
    """Signal propagation with a ReLU network whose weights have sigma_w^2 = the question's."""

    def link(p: Params) -> dict[str, object]:
        gain = sw2_gain(p["sw2"])
        return {"init": SW2_SCHEME, "gain": gain, "activation": "relu", **settings}

    return link


def _sw2_note(p: Params) -> str:
    return (
        f"Opens the simulation with this question's σ_w² = n Var(W) = {p['sw2']:g}: Xavier "
        f"normal with gain √{p['sw2']:g} = {format_value(sw2_gain(p['sw2']), 3)} on square "
        "layers."
    )


# --- linear layers with N(0, 1) weights ----------------------------------------------------


def linear_randn_variance(p: Params) -> float:
    """Var(z_L) of L linear layers of N(0, 1) weights at width n, unit input: n^L."""
    return float(predict("large_random", "linear", p["layers"], p["width"]).pre_var[-1])


def linear_randn_log10(p: Params) -> float:
    """log10 of :func:`linear_randn_variance` (= L log10 n)."""
    return math.log10(linear_randn_variance(p))


def _fewer_layers_log10(p: Params) -> float:
    return linear_randn_log10(p) * (p["layers"] - 1) / p["layers"]


LINEAR_LOG10 = NumericQuestion(
    id="linear_randn_log10_variance",
    topic=TOPIC,
    title="N(0, 1) weights through linear layers",
    difficulty=2,
    prompt=lambda p: (
        f"A stack of {p['layers']} **linear** layers (no activation, no bias), each of width "
        f"{p['width']}, has weights drawn from N(0, 1) (`np.random.randn`). The input has "
        f"{p['width']} features of variance 1. The variance of the last layer's outputs is a "
        "huge number: give its **log10** (for example 23.9 for 8.0e23)."
    ),
    generate=_depth_width,
    answer=linear_randn_log10,
    rel_tol=0.005,
    tolerance_text="within 0.5%",
    explanation=lambda p: (
        rf"Each output sums $n = {p['width']}$ terms $x_i W_{{ij}}$ of variance "
        r"$\operatorname{Var}(x)\cdot 1$, so every layer multiplies the variance by $n$. After "
        rf"$L = {p['layers']}$ layers: $n^L = {p['width']}^{{{p['layers']}}} = "
        rf"{tex_value(linear_randn_variance(p), 5)}$, and "
        rf"$\log_{{10}} n^L = L \log_{{10}} n = {_fmt(linear_randn_log10(p))}$."
    ),
    mistakes=(
        mk.natural_log_for_log10(
            linear_randn_log10,
            "That is the natural log ln(n^L). The question asks for log10: divide by ln 10.",
        ),
        Mistake(
            "log2",
            lambda p: linear_randn_log10(p) / math.log10(2.0),
            "That is log2, the power of two. The question asks for log10.",
        ),
        Mistake(
            "forgot_a_layer",
            _fewer_layers_log10,
            "That is n^(L-1): every one of the L layers multiplies the variance by n, the "
            "first one included (the input has variance 1).",
        ),
        Mistake(
            "n_not_n_to_the_l",
            lambda p: math.log10(p["width"]),
            "That is one layer's factor n. The factors multiply over the layers: n^L.",
        ),
        Mistake(
            "n_times_l",
            lambda p: math.log10(p["width"] * p["layers"]),
            "You multiplied n by L. The variance is multiplied by n at each layer, so it grows "
            "as n^L, not n L.",
        ),
        Mistake(
            "std_not_variance",
            lambda p: linear_randn_log10(p) / 2,
            "That is log10 of the standard deviation n^(L/2). The question asks for the variance.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_signal_link("large_random", "linear"),
)


@cache
def float32_overflow_layer(width: int) -> int | None:
    """The first layer whose activations hold inf/NaN when N(0, 1) linear layers of ``width``
    (unit input, no bias) run in float32 (``lab.network.simulate``, with the Signal propagation
    page's samples and seed). The stack simulated is one layer deeper than the one at which
    the theory's std n^(L/2) passes float32's max, so the largest value has crossed it."""
    defaults = SIGNAL_CONTROLS.defaults()
    crossing = math.ceil(2 * math.log(FORMATS["float32"].max) / math.log(width))
    config = NetworkConfig(
        init="large_random",
        activation="linear",
        layers=crossing + 1,
        width=width,
        samples=int(defaults["samples"]),  # type: ignore[arg-type]
        seed=int(defaults["seed"]),  # type: ignore[arg-type]
        backward="none",
    )
    return simulate(config).first_nonfinite_layer


TEXTBOOK_LINEAR_VARIANCE = NumericQuestion(
    id="textbook_linear_variance",
    topic=TOPIC,
    title="Quick check: 10 layers of width 512",
    difficulty=1,
    prompt=(
        "Quick check. A network of 10 linear layers of width 512 uses N(0, 1) weights and a "
        "unit-variance input. What is the **variance** of the outputs after the 10th layer? "
        "(Scientific notation such as 4.5e13, or a formula such as 3^20.)"
    ),
    generate=lambda rng: dict(TEXTBOOK_LINEAR),
    answer=linear_randn_variance,
    tolerance_text="within 1%",
    explanation=lambda p: (
        r"Every layer multiplies the variance by $n \operatorname{Var}(W) = 512$, so "
        rf"$512^{{10}} = 2^{{90}} = {tex_value(linear_randn_variance(p), 5)}$. "
        "The activations themselves are only its square root (std "
        rf"$512^5 = {tex_value(math.sqrt(linear_randn_variance(p)), 2)}$), so float32 "
        f"(max {format_value(FORMATS['float32'].max, 2)}) holds them much longer: in the lab's "
        f"float32 simulation of this network the first inf appears at layer "
        f"{float32_overflow_layer(p['width'])}."
    ),
    mistakes=(
        Mistake(
            "forgot_a_layer",
            lambda p: linear_randn_variance(p) / p["width"],
            "That is 512^9: the first layer multiplies the unit input variance by 512 too.",
        ),
        Mistake(
            "std_not_variance",
            lambda p: math.sqrt(linear_randn_variance(p)),
            "That is the standard deviation 512^5. The variance is its square.",
        ),
        Mistake(
            "n_times_l",
            lambda p: float(p["width"] * p["layers"]),
            "The variance does not add up layer by layer, it multiplies: 512^10, not 512 x 10.",
        ),
        Mistake(
            "one_layer",
            lambda p: float(p["width"]),
            "512 is the factor of one layer; ten layers multiply ten such factors.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_signal_link("large_random", "linear"),
)


def he_variance_512(p: Params) -> float:
    """He normal variance 2 / fan_in (He et al. 2015) from ``lab.initializers``."""
    return get_initializer("he_normal").variance(p["fan_in"], p["fan_in"])


QUICK_HE_512 = NumericQuestion(
    id="quick_check_he_512",
    topic=TOPIC,
    title="Quick check: He variance for 512 inputs",
    difficulty=1,
    prompt=(
        "Quick check. A ReLU layer receives 512 inputs. Which weight **variance** does He "
        "initialization give, so that the signal neither shrinks nor grows?"
    ),
    generate=lambda rng: {"fan_in": TEXTBOOK_HE_FAN_IN},
    answer=he_variance_512,
    explanation=lambda p: (
        rf"$\operatorname{{Var}}(W) = 2/n_\text{{in}} = 2/512 = {_fmt(he_variance_512(p))}$ "
        rf"(std $\sqrt{{2/512}} = {_fmt(math.sqrt(he_variance_512(p)))}$). Then "
        r"$n \operatorname{Var}(W) \cdot \tfrac12 = 1$: ReLU's halving is undone."
    ),
    mistakes=(
        mk.lecun_for_he(he_variance_512, 1.0),
        mk.std_for_variance(he_variance_512),
        mk.inverted(he_variance_512),
    ),
    page=PAGE_DISTRIBUTIONS,
    page_params=lambda p: {
        "layer": "dense",
        "fan_in": p["fan_in"],
        "init": ("he_normal",),
        "mode": "fan_in",
        "slope": 0.0,
    },
)


# --- Xavier + ReLU: the signal halves ------------------------------------------------------


def xavier_relu_rms_ratio(p: Params) -> float:
    """RMS(a_L) / RMS(x) for Xavier (equal fans, 1/n) + ReLU: 2^(-L/2)."""
    return float(predict("xavier_normal", "relu", p["layers"], p["width"]).rms_ratio[-1])


def _xavier_relu_pre_std(p: Params) -> float:
    return float(predict("xavier_normal", "relu", p["layers"], p["width"]).pre_std[-1])


def _xavier_relu_post_std(p: Params) -> float:
    return float(predict("xavier_normal", "relu", p["layers"], p["width"]).post_std[-1])


XAVIER_RELU_RMS = NumericQuestion(
    id="xavier_relu_rms_factor",
    topic=TOPIC,
    title="Xavier + ReLU: how much signal is left?",
    difficulty=2,
    prompt=lambda p: (
        f"{article(p['layers']).capitalize()} {p['layers']}-layer ReLU network of width "
        f"{p['width']} (all layers square, no bias) is initialized with Xavier normal, "
        "Var(W) = 1/n. The input has unit variance. "
        "By what factor has the **RMS** (root mean square) of the activations changed after "
        rf"layer {p['layers']}? Give $\mathrm{{RMS}}(a_L) / \mathrm{{RMS}}(x)$; a formula "
        "such as 5^-3 is fine."
    ),
    generate=_relu_net,
    answer=xavier_relu_rms_ratio,
    explanation=lambda p: (
        r"With $n \operatorname{Var}(W) = 1$ the pre-activation keeps the mean square of its "
        r"input, and ReLU zeroes half of a symmetric input: $E[a^2] = \tfrac12 E[z^2]$. So "
        rf"$E[a_L^2] = 2^{{-L}}$ and the RMS is $2^{{-L/2}} = 2^{{-{p['layers']}/2}} = "
        rf"{_fmt(xavier_relu_rms_ratio(p))}$. He's factor 2 cancels exactly this halving."
    ),
    mistakes=(
        Mistake(
            "variance_not_rms",
            lambda p: xavier_relu_rms_ratio(p) ** 2,
            "That is the factor on the mean square E[a^2] (2^-L). The RMS is its square root.",
        ),
        Mistake(
            "pre_activation",
            _xavier_relu_pre_std,
            "That is the std of the last pre-activation z_L, one halving short. The question "
            "asks for the activation a_L after the last ReLU.",
        ),
        Mistake(
            "post_std",
            _xavier_relu_post_std,
            "That is the standard deviation of a_L, which subtracts the mean of the ReLU "
            "output. The RMS sqrt(E[a^2]) keeps it.",
        ),
        Mistake(
            "xavier_preserves",
            lambda p: 1.0,
            "Xavier's n Var(W) = 1 keeps the variance of a linear layer. ReLU discards the "
            "negative half at every layer.",
        ),
        Mistake(
            "grows",
            lambda p: 1.0 / xavier_relu_rms_ratio(p),
            "The signal shrinks, it does not grow: the factor must be below 1.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_signal_link("xavier_normal", "relu"),
)


def xavier_relu_layer_factor(p: Params) -> float:
    """E[a_2^2] / E[a_1^2] for Xavier (equal fans) + ReLU: 1/2."""
    moments = predict("xavier_normal", "relu", 2, p["width"]).post_second_moment
    return float(moments[1] / moments[0])


XAVIER_RELU_FACTOR = NumericQuestion(
    id="xavier_relu_layer_factor",
    topic=TOPIC,
    title="Xavier + ReLU: the factor per layer",
    difficulty=1,
    prompt=lambda p: (
        f"In a ReLU network of width {p['width']} initialized with Xavier normal "
        r"($\operatorname{Var}(W) = 1/n$, equal fans), by what factor does one layer multiply "
        r"the **mean square** $E[a^2]$ of the activations?"
    ),
    generate=lambda rng: {"width": _pick(rng, WIDTHS)},
    answer=xavier_relu_layer_factor,
    explanation=lambda p: (
        r"$E[z^2] = n \operatorname{Var}(W) E[a^2] = E[a^2]$, and ReLU keeps only the positive "
        rf"half: $E[\mathrm{{relu}}(z)^2] = \tfrac12 E[z^2]$. Factor: "
        rf"{_fmt(xavier_relu_layer_factor(p))}, whatever the width."
    ),
    mistakes=(
        Mistake(
            "preserved",
            lambda p: 1.0,
            "Xavier keeps E[z^2] of the pre-activations, but ReLU then drops the negative half.",
        ),
        Mistake(
            "rms_factor",
            lambda p: math.sqrt(xavier_relu_layer_factor(p)),
            "That is the factor on the RMS (1/sqrt 2). The mean square is its square.",
        ),
        Mistake(
            "he_factor",
            lambda p: 2.0,
            "2 is He's compensating factor on Var(W), not what Xavier + ReLU does to E[a^2].",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {"init": "xavier_normal", "activation": "relu", "width": p["width"]},
)


# --- He + ReLU: the stationary state -------------------------------------------------------


def _he_relu(p: Params):
    return predict("he_normal", "relu", p["layers"], p["width"], input_std=p["input_std"])


def he_relu_pre_std(p: Params) -> float:
    """std of z_L for He + ReLU: sqrt(2) * input std (every layer, by the length map)."""
    return float(_he_relu(p).pre_std[-1])


def he_relu_post_std(p: Params) -> float:
    """std of a_L = relu(z_L) for He + ReLU: sqrt(1 - 1/pi) * input std."""
    return float(_he_relu(p).post_std[-1])


def _he_relu_post_rms(p: Params) -> float:
    return float(_he_relu(p).post_rms[-1])


def _he_relu_post_mean(p: Params) -> float:
    return float(_he_relu(p).post_mean[-1])


def _input_text(p: Params) -> str:
    return f"an input of {p['width']} features with zero mean and std {p['input_std']:g}"


HE_RELU_PRE_STD = NumericQuestion(
    id="he_relu_pre_std",
    topic=TOPIC,
    title="He + ReLU: pre-activation std",
    difficulty=2,
    prompt=lambda p: (
        f"{article(p['layers']).capitalize()} {p['layers']}-layer ReLU network of width "
        f"{p['width']} (no bias) uses He normal weights, Var(W) = 2/n, and receives "
        f"{_input_text(p)}. What is the **standard "
        f"deviation of the pre-activations** z of layer {p['layers']}, in the wide-network "
        "limit?"
    ),
    generate=_relu_net_with_input,
    answer=he_relu_pre_std,
    tolerance_text="within 1%",
    explanation=lambda p: (
        r"Layer 1: $\operatorname{Var}(z_1) = n \cdot \tfrac{2}{n} \cdot "
        rf"{p['input_std']:g}^2 = {_fmt(2 * p['input_std'] ** 2)}$. Then $E[a^2] = "
        r"\tfrac12 \operatorname{Var}(z)$ and the next layer multiplies by 2 again, so "
        rf"every layer has $\operatorname{{Var}}(z) = {_fmt(he_relu_pre_std(p) ** 2)}$ and std "
        rf"$\sqrt2 \cdot {p['input_std']:g} = {_fmt(he_relu_pre_std(p))}$."
    ),
    mistakes=(
        Mistake(
            "variance_not_std",
            lambda p: he_relu_pre_std(p) ** 2,
            "That is the variance of z. The standard deviation is its square root.",
        ),
        Mistake(
            "post_rms",
            _he_relu_post_rms,
            "That is the RMS of the ReLU output a = relu(z), which He keeps equal to the "
            "input's. The pre-activation z has twice the mean square.",
        ),
        Mistake(
            "post_std",
            he_relu_post_std,
            "That is the std of the ReLU output a, not of the pre-activation z.",
        ),
        Mistake(
            "ignored_input_std",
            lambda p: math.sqrt(2.0) if p["input_std"] != 1.0 else None,
            "sqrt(2) is right for a unit input; here the input std scales every layer.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_signal_link("he_normal", "relu"),
    page_note=_input_std_note,
)

HE_RELU_POST_STD = NumericQuestion(
    id="he_relu_post_std",
    topic=TOPIC,
    title="He + ReLU: activation std",
    difficulty=3,
    prompt=lambda p: (
        f"Same setting: {article(p['layers'])} {p['layers']}-layer ReLU network of width "
        f"{p['width']} with He normal weights (Var(W) = 2/n, no bias) and {_input_text(p)}. "
        "What is the **standard deviation of the activations** a = relu(z) of layer "
        f"{p['layers']}, in the wide-network limit? (Hint: relu(z) of a normal z has a "
        "nonzero mean.)"
    ),
    generate=_relu_net_with_input,
    answer=he_relu_post_std,
    explanation=lambda p: (
        rf"$z \sim N(0, q)$ with $q = {_fmt(he_relu_pre_std(p) ** 2)}$. For $a = "
        r"\mathrm{relu}(z)$: $E[a^2] = q/2$ and $E[a] = \sqrt{q / (2\pi)}$, so "
        r"$\operatorname{Var}(a) = \tfrac{q}{2}(1 - \tfrac{1}{\pi})$ and the std is "
        rf"$\sqrt{{1 - 1/\pi}} \cdot {p['input_std']:g} = {_fmt(he_relu_post_std(p))}$."
    ),
    mistakes=(
        Mistake(
            "rms_not_std",
            _he_relu_post_rms,
            "That is the RMS sqrt(E[a^2]). The standard deviation subtracts the mean first: "
            "Var(a) = E[a^2] - E[a]^2, and E[a] > 0 after a ReLU.",
        ),
        Mistake(
            "pre_activation",
            he_relu_pre_std,
            "That is the std of the pre-activation z. The ReLU output is smaller.",
        ),
        Mistake(
            "variance_not_std",
            lambda p: he_relu_post_std(p) ** 2,
            "That is the variance of a. The standard deviation is its square root.",
        ),
        Mistake(
            "mean_not_std",
            _he_relu_post_mean,
            "That is the mean E[a] of the ReLU output, not its standard deviation.",
        ),
        Mistake(
            "halved_std",
            lambda p: he_relu_pre_std(p) / 2,
            "ReLU halves the mean square, not the standard deviation.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_signal_link("he_normal", "relu"),
    page_note=_input_std_note,
)


# --- backward: chi1, phases, depth scale ---------------------------------------------------


def relu_chi1(p: Params) -> float:
    """chi1 = sw2 E[relu'(z)^2] = sw2 / 2 (Schoenholz et al. 2017), via ``lab.theory.chi1``."""
    return chi1("relu", p["sw2"], 0.0)


RELU_CHI1 = NumericQuestion(
    id="relu_chi1",
    topic=TOPIC,
    title="chi1 of a ReLU network",
    difficulty=2,
    prompt=lambda p: (
        f"A deep ReLU network without biases has weights with Var(W) = {p['sw2']:g}/n "
        rf"($\sigma_w^2 = {p['sw2']:g}$). Backpropagation multiplies the gradient variance "
        r"by $\chi_1 = \sigma_w^2 E[\phi'(z)^2]$ at every layer. What is **$\chi_1$**?"
    ),
    generate=lambda rng: {"sw2": _pick(rng, CHI_SW2)},
    answer=relu_chi1,
    explanation=lambda p: (
        r"relu'(z) is 1 for $z > 0$ and 0 otherwise, so $E[\phi'(z)^2] = \tfrac12$ and "
        rf"$\chi_1 = {p['sw2']:g}/2 = {_fmt(relu_chi1(p))}$: "
        f"{classify_phase(relu_chi1(p))} phase. χ₁ = 1 needs σ_w² = 2, He's choice."
    ),
    mistakes=(
        Mistake(
            "forgot_derivative",
            lambda p: float(p["sw2"]),
            "You left out E[φ'(z)²]. The ReLU derivative is 0 on half of the inputs, so "
            "E[φ'(z)²] = 1/2.",
        ),
        mk.inverted(relu_chi1, "That is 1/χ₁; χ₁ is σ_w² times E[φ'(z)²]."),
        Mistake(
            "std_factor",
            lambda p: math.sqrt(relu_chi1(p)),
            "That is the factor on the gradient's standard deviation, sqrt(χ₁). χ₁ acts on "
            "the variance.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_sw2_link(),
    page_note=_sw2_note,
)

PHASES = (
    ("ordered", "Ordered: gradients vanish with depth (χ₁ < 1)"),
    ("critical", "Critical, the edge of chaos: gradients keep their size (χ₁ = 1)"),
    ("chaotic", "Chaotic: gradients explode with depth (χ₁ > 1)"),
)


def relu_phase(p: Params) -> str:
    """The phase of a deep ReLU net with weight scale sw2 and no bias (``classify_phase``)."""
    return classify_phase(relu_chi1(p))


def _phase_feedback(chosen: str):
    def feedback(p: Params) -> str:
        value, phase = relu_chi1(p), relu_phase(p)
        hint = ""
        if classify_phase(float(p["sw2"])) == chosen:
            hint = " Comparing σ_w² itself with 1 leaves out E[relu'(z)²] = 1/2."
        return f"Not {chosen}: χ₁ = σ_w²/2 = {_fmt(value)}, so the network is {phase}.{hint}"

    return feedback


def _phase_mistake(chosen: str) -> Mistake:
    return Mistake(
        f"said_{chosen}",
        lambda p: chosen if relu_phase(p) != chosen else None,
        _phase_feedback(chosen),
    )


RELU_PHASE = ChoiceQuestion(
    id="relu_phase",
    topic=TOPIC,
    title="Ordered, critical or chaotic?",
    difficulty=2,
    prompt=lambda p: (
        f"A 50-layer ReLU network without biases has weights with Var(W) = {p['sw2']:g}/n. "
        "What happens to the gradients at initialization?"
    ),
    generate=lambda rng: {"sw2": _pick(rng, PHASE_SW2)},
    options=PHASES,
    correct=lambda p: (relu_phase(p),),
    explanation=lambda p: (
        rf"$\chi_1 = \sigma_w^2 E[\mathrm{{relu}}'(z)^2] = {p['sw2']:g} \cdot \tfrac12 = "
        rf"{_fmt(relu_chi1(p))}$. Over 50 layers the gradient variance changes by "
        rf"$\chi_1^{{50}}$; only $\sigma_w^2 = 2$ (He) keeps it."
    ),
    mistakes=tuple(_phase_mistake(phase) for phase, _ in PHASES),
    page=PAGE_SIGNAL,
    page_params=_sw2_link(layers=PHASE_LAYERS),
    page_note=_sw2_note,
)


def relu_depth_scale(p: Params) -> float:
    """xi = -1 / ln chi1 for a ReLU net in the ordered phase (``lab.theory.depth_scale``)."""
    return depth_scale(relu_chi1(p))


RELU_DEPTH_SCALE = NumericQuestion(
    id="relu_depth_scale",
    topic=TOPIC,
    title="Depth scale of a vanishing gradient",
    difficulty=3,
    prompt=lambda p: (
        f"A deep ReLU network without biases has Var(W) = {p['sw2']:g}/n, so the gradient "
        r"variance is multiplied by the same factor $\chi_1 < 1$ at every layer. Over how many "
        r"layers does it fall by a factor $e$? (The depth scale $\xi$, with "
        r"$\chi_1^\xi = 1/e$.)"
    ),
    generate=lambda rng: {"sw2": _pick(rng, ORDERED_SW2)},
    answer=relu_depth_scale,
    explanation=lambda p: (
        rf"$\chi_1 = {p['sw2']:g}/2 = {_fmt(relu_chi1(p))}$; $\chi_1^\xi = e^{{-1}}$ gives "
        rf"$\xi = -1/\ln \chi_1 = {_fmt(relu_depth_scale(p))}$ layers. Networks much deeper "
        "than ξ cannot pass a gradient back; at χ₁ = 1 (He) ξ is infinite."
    ),
    mistakes=(
        Mistake(
            "log10",
            lambda p: -1.0 / math.log10(relu_chi1(p)),
            "That uses log10. The factor e calls for the natural log: ξ = -1/ln χ₁.",
        ),
        Mistake(
            "not_inverted",
            lambda p: -math.log(relu_chi1(p)),
            "That is -ln χ₁, the decay per layer. The depth scale is its reciprocal.",
        ),
        Mistake(
            "chi_not_xi",
            relu_chi1,
            "That is χ₁ itself, the factor per layer, not a number of layers.",
        ),
        Mistake(
            "used_sw2",
            lambda p: 1.0 / abs(math.log(p["sw2"])) if p["sw2"] != 1.0 else None,
            "You used σ_w² in place of χ₁ = σ_w²/2.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=_sw2_link(),
    page_note=_sw2_note,
)


# --- which scheme is critical --------------------------------------------------------------

#: Xavier with tanh, by mean-field theory (lab.diagnosis.advise): critical at q* = 0.
_XAVIER_TANH = scheme_fit(advise("tanh"), "xavier_normal")
CRITICAL_OPTIONS = (
    ("he_normal", "He normal, Var(W) = 2/n in every layer"),
    ("xavier_normal", "Xavier normal, Var(W) = 2/(n_in + n_out)"),
    ("lecun_normal", "LeCun normal, Var(W) = 1/n in every layer"),
    ("small_random", "A fixed std of 0.01 in every layer"),
    ("large_random", "A fixed std of 1 in every layer (np.random.randn)"),
)
_CRITICAL_FEEDBACK = {
    "xavier_normal": "With equal fans Xavier is 1/n: χ₁ = 1/2 with ReLU, so the gradients "
    f"vanish. With tanh, whose slope is 1 at 0, it gives χ₁ = {_XAVIER_TANH.chi1:.3g} at "
    "q* = 0: critical, though unit-scale signals still decay there, like 1/l.",
    "lecun_normal": "LeCun's 1/n gives χ₁ = 1/2 with ReLU: ordered, gradients vanish. It is "
    "made for SELU.",
    "small_random": "A fixed std of 0.01 gives σ_w² = n 10^-4, far below 2: everything vanishes.",
    "large_random": "A fixed std of 1 gives σ_w² = n, far above 2: everything explodes.",
}


def critical_schemes(p: Params) -> tuple[str, ...]:
    """The options whose ReLU network is critical: classify_phase(chi1(relu, sw2, 0))."""
    width = p["width"]
    return tuple(
        name
        for name, _ in CRITICAL_OPTIONS
        if classify_phase(chi1("relu", effective_sw2(name, width, width).sw2, 0.0)) == "critical"
    )


CRITICAL_INIT = ChoiceQuestion(
    id="critical_init_relu",
    topic=TOPIC,
    title="Which scheme puts a ReLU net at the edge of chaos?",
    difficulty=1,
    prompt=lambda p: (
        f"A 100-layer ReLU network has square layers of width {p['width']} and no biases. "
        r"Which initialization makes it **critical** ($\chi_1 = 1$), so that gradients keep "
        "their size through depth?"
    ),
    generate=lambda rng: {"width": _pick(rng, WIDTHS)},
    options=CRITICAL_OPTIONS,
    correct=critical_schemes,
    explanation=(
        "For ReLU, χ₁ = σ_w²/2 with σ_w² = n Var(W). Only σ_w² = 2, He's 2/n, gives χ₁ = 1 "
        "(He et al. 2015)."
    ),
    mistakes=tuple(
        Mistake(f"chose_{name}", name, feedback) for name, feedback in _CRITICAL_FEEDBACK.items()
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {
        "init": "he_normal",
        "activation": "relu",
        "layers": CRITICAL_LAYERS,
        "width": p["width"],
    },
)


SIGNAL_TEMPLATES: tuple[NumericQuestion | ChoiceQuestion, ...] = (
    TEXTBOOK_LINEAR_VARIANCE,
    LINEAR_LOG10,
    QUICK_HE_512,
    XAVIER_RELU_FACTOR,
    XAVIER_RELU_RMS,
    HE_RELU_PRE_STD,
    HE_RELU_POST_STD,
    RELU_CHI1,
    RELU_PHASE,
    RELU_DEPTH_SCALE,
    CRITICAL_INIT,
)
