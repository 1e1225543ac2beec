"""Question templates on training from each initialization and on the phase diagram.

Every answer comes from the engine: the Training page's experiment configuration
(``lab.experiments.training.config_from_values``) trained by ``lab.training.run`` (the same
numbers the page shows for the linked settings), and the mean-field depth scale
xi = -1 / ln chi_c of ``lab.phase.phase_point`` with Schoenholz et al. (2017)'s rule that
networks deeper than about ``lab.phase.TRAINABLE_DEPTH_SCALES`` xi do not train. Training runs
are small (at most 10 layers of 32 units for 100 epochs on 200 points), drawn from a short
list of settings and kept once computed (``functools.lru_cache``), so grading a variant costs
a second at most. ``TRAINING_TEMPLATES`` lists them in quiz order.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from lab import training
from lab.activations import get_activation
from lab.datasets import DATASETS
from lab.experiments.training import config_from_values, scheme_label
from lab.phase import TRAINABLE_DEPTH_SCALES, phase_point
from lab.text import plural
from quizzes.questions import ChoiceQuestion, Mistake, NumericQuestion, Params, format_value

TOPIC = "training"
#: Keys of the simulation pages the questions link to (lab.controls.registry).
PAGE_TRAINING = "training"
PAGE_PHASE = "phase_diagram"

#: The initializations raced in "first to the target" (the issue's five).
RACED = ("he_normal", "xavier_normal", "large_random", "small_random", "zeros")
#: The race's fixed settings (small, so a run takes about a second).
RACE = {"width": 32, "epochs": 100, "samples": 200}
#: (data set, activation, hidden layers) of the races; each has one fastest initialization
#: (tests/quizzes/test_bank_training.py checks it), and the fastest differs between them.
RACES: tuple[tuple[str, str, int], ...] = (
    ("spirals", "relu", 10),
    ("xor", "relu", 6),
    ("xor", "relu", 3),
    ("circles", "tanh", 10),
    ("circles", "gelu", 6),
    ("circles", "relu", 3),
    ("xor", "tanh", 3),
    ("spirals", "tanh", 3),
)
#: The options' words, of similar length so that the answer does not show in its form.
RACED_OPTIONS = {
    "large_random": "Normal, std 1.0",
    "zeros": "All weights zero",
    "small_random": "Normal, std 0.01",
    "he_normal": "He/Kaiming normal",
    "xavier_normal": "Xavier/Glorot normal",
}

#: Gains g (sigma_w^2 = g^2) and bias stds (sigma_b^2 = std^2) of the depth-scale question:
#: values the Phase diagram page's controls take.
XI_GAINS = (0.6, 0.7, 0.8, 0.9, 1.1, 1.3, 1.5, 1.7, 2.0, 2.2)
XI_BIAS_STDS = (0.05, 0.1, 0.2, 0.5)
#: Trainable depths 6 xi the question asks for (outside: too shallow or too deep to mean much).
XI_DEPTHS = (3.0, 300.0)

#: Settings of the symmetry question: the initializations, constants c, activations, depths.
SYMMETRY_INITS = ("zeros", "constant", "he_normal", "xavier_normal", "small_random")
SYMMETRY_VALUES = (0.1, 0.2, 0.5, -0.2)
SYMMETRY_ACTIVATIONS = ("relu", "tanh")
SYMMETRY_LAYERS = (2, 3, 4)
SYMMETRY_RUN = {"width": 16, "epochs": 30, "samples": 200, "dataset": "spirals"}


def _pick(rng: np.random.Generator, values: tuple) -> object:
    item = values[int(rng.integers(len(values)))]
    return item.item() if isinstance(item, np.generic) else item


# --- which initialization reaches the target first --------------------------------------------


def race_values(p: Params) -> dict[str, object]:
    """The Training page's control values of a race (also its link)."""
    return {
        "dataset": p["dataset"],
        "inits": RACED,
        "activation": p["activation"],
        "layers": p["layers"],
        "width": p["width"],
        "epochs": p["epochs"],
        "samples": p["samples"],
    }


@lru_cache(maxsize=len(RACES))
def _race(
    dataset: str, activation: str, layers: int
) -> tuple[tuple[str, int | None, int | None], ...]:
    values = race_values({"dataset": dataset, "activation": activation, "layers": layers, **RACE})
    result = training.run(config_from_values(values).training_config())
    return tuple((run.init, run.epochs_to_target, run.diverged_epoch) for run in result.runs)


def race_outcomes(p: Params) -> dict[str, tuple[int | None, int | None]]:
    """{init: (epochs to the target or None, diverged epoch or None)} of the race."""
    return {
        init: (reached, diverged)
        for init, reached, diverged in _race(p["dataset"], p["activation"], p["layers"])
    }


def race_winner(p: Params) -> str:
    """The initialization whose training loss first reaches the target (the engine's)."""
    reached = {init: e for init, (e, _) in race_outcomes(p).items() if e is not None}
    return min(reached, key=reached.__getitem__)


def _outcome_text(p: Params, init: str) -> str:
    reached, diverged = race_outcomes(p)[init]
    label = scheme_label(init)
    if reached is not None:
        return f"{label} reached the target after {plural(reached, 'epoch')}"
    if diverged is not None:
        return f"{label} never reached it: its loss overflowed at epoch {diverged}"
    return f"{label} never reached it in {p['epochs']} epochs"


#: What each wrong pick misses, true whenever that initialization does not win (the races).
_RACE_REASONS = {
    "zeros": "Zero weights pass no signal and no gradient to the hidden layers, and their units "
    "can never differ: the loss stays at chance level.",
    "small_random": "N(0, 0.01²) shrinks the signal at every layer, so the first layers' "
    "gradients all but vanish and the loss barely moves.",
    "large_random": "N(0, 1) ignores the fan-in: every layer multiplies the signal's scale by "
    "about √n, which a deeper network turns into overflow or saturation.",
    "xavier_normal": "Xavier's variance 1/n suits tanh-like layers near zero; here it was slower.",
    "he_normal": "He's variance 2/n keeps a ReLU network's signal steady; here another start "
    "was faster.",
}


def _race_feedback(init: str):
    def feedback(p: Params) -> str:
        winner = race_winner(p)
        return f"{_outcome_text(p, init)}, but {_outcome_text(p, winner)}. {_RACE_REASONS[init]}"

    return feedback


def _race_prompt(p: Params) -> str:
    act = get_activation(p["activation"]).label
    return (
        f"Five copies of one network, {p['layers']} hidden layers of {p['width']} {act} units, "
        f"are trained on the {DATASETS[p['dataset']].lower()} data set ({p['samples']} points, "
        f"a quarter held out) for {p['epochs']} epochs of SGD with momentum (learning rate "
        "0.01, batches of 64), with the same data, minibatches and seed. Only the "
        "initialization differs. Which one first reaches a training loss of "
        f"{training.DEFAULT_TARGET_SHARE:.0%} of the chance level? Predict, then check on the "
        "Training page."
    )


def _race_explanation(p: Params) -> str:
    lines = "; ".join(_outcome_text(p, init) for init in RACED)
    return (
        f"The engine's run: {lines}. Deep networks need a weight scale that keeps the signal "
        "and the gradients steady through every layer (He for ReLU-like units); a shallow "
        "network tolerates larger weights, and N(0, 1) can even win there."
    )


FIRST_TO_TARGET = ChoiceQuestion(
    id="training_first_to_target",
    topic=TOPIC,
    title="Which initialization reaches the target first?",
    difficulty=2,
    prompt=_race_prompt,
    generate=lambda rng: dict(
        zip(("dataset", "activation", "layers"), _pick(rng, RACES), strict=True), **RACE
    ),
    options=tuple((init, RACED_OPTIONS[init]) for init in RACED),
    correct=lambda p: (race_winner(p),),
    explanation=_race_explanation,
    mistakes=tuple(
        Mistake(
            f"chose_{init}",
            (lambda name: lambda p: name if race_winner(p) != name else None)(init),
            _race_feedback(init),
        )
        for init in RACED
    ),
    page=PAGE_TRAINING,
    page_params=race_values,
)


# --- the deepest trainable depth from the depth scale ------------------------------------------


def _xi_point(p: Params) -> dict[str, float | str]:
    return phase_point("tanh", p["gain"] ** 2, p["bias_std"] ** 2)


def trainable_depth(p: Params) -> float:
    """6 xi: Schoenholz et al.'s deepest trainable depth at (g², std²) for tanh."""
    return TRAINABLE_DEPTH_SCALES * float(_xi_point(p)["depth_scale"])


@lru_cache(maxsize=1)
def xi_settings() -> tuple[tuple[float, float], ...]:
    """The (gain, bias std) pairs whose 6 xi lies in XI_DEPTHS."""
    low, high = XI_DEPTHS
    return tuple(
        (gain, bias)
        for gain in XI_GAINS
        for bias in XI_BIAS_STDS
        if low <= trainable_depth({"gain": gain, "bias_std": bias}) <= high
    )


def _gradient_scale_depth(p: Params) -> float | None:
    point = _xi_point(p)
    if point["phase"] != "chaotic":
        return None  # the two depth scales agree in the ordered phase
    return TRAINABLE_DEPTH_SCALES * float(point["gradient_depth_scale"])


TRAINABLE_DEPTH = NumericQuestion(
    id="trainable_depth_from_xi",
    topic=TOPIC,
    title="Read ξ off the phase diagram",
    difficulty=2,
    prompt=lambda p: (
        "Open the Phase diagram for tanh with your point at gain "
        f"g = {p['gain']:g} (σ_w² = g² = {format_value(p['gain'] ** 2, 4)}) and bias std "
        f"{p['bias_std']:g} (σ_b² = {format_value(p['bias_std'] ** 2, 4)}), and read the depth "
        "scale ξ there. Schoenholz et al. (2017) found that networks deeper than about "
        f"{TRAINABLE_DEPTH_SCALES:g} ξ do not train. What is the deepest trainable depth, in "
        "layers?"
    ),
    generate=lambda rng: dict(zip(("gain", "bias_std"), _pick(rng, xi_settings()), strict=True)),
    answer=trainable_depth,
    rel_tol=0.02,
    tolerance_text="within 2%",
    display_digits=4,
    explanation=lambda p: (
        f"At σ_w² = {format_value(p['gain'] ** 2, 4)}, σ_b² = "
        f"{format_value(p['bias_std'] ** 2, 4)} the network is "
        f"{_xi_point(p)['phase']} with ξ = {format_value(float(_xi_point(p)['depth_scale']), 4)} "
        f"layers, so about {TRAINABLE_DEPTH_SCALES:g} ξ = {format_value(trainable_depth(p), 4)} "
        "layers still train. Closer to the edge of chaos ξ grows without bound."
    ),
    mistakes=(
        Mistake(
            "xi_not_depth",
            lambda p: trainable_depth(p) / TRAINABLE_DEPTH_SCALES,
            f"That is ξ itself. Networks train up to about {TRAINABLE_DEPTH_SCALES:g} ξ layers.",
        ),
        Mistake(
            "gradient_depth_scale",
            _gradient_scale_depth,
            "That uses 1/|ln χ₁|, the gradient's depth scale. In the chaotic phase the depth "
            "that bounds training is the correlation depth scale ξ = −1/ln χ_c, which the "
            "diagram shows.",
        ),
        Mistake(
            "log10",
            lambda p: trainable_depth(p) * math.log(10.0),
            "You used log10: ξ = −1/ln χ_c uses the natural logarithm.",
        ),
    ),
    page=PAGE_PHASE,
    page_params=lambda p: {
        "activation": "tanh",
        "heatmap": "xi",
        "gain": p["gain"],
        "bias_std": p["bias_std"],
    },
)


# --- does training break the symmetry of equal units? -----------------------------------------


def symmetry_values(p: Params) -> dict[str, object]:
    """The Training page's control values of the symmetry question (also its link)."""
    values: dict[str, object] = {
        "dataset": p["dataset"],
        "samples": p["samples"],
        "inits": (p["init"],),
        "activation": p["activation"],
        "layers": p["layers"],
        "width": p["width"],
        "epochs": p["epochs"],
    }
    if "value" in p:
        values["value"] = p["value"]
    return values


@lru_cache(maxsize=128)
def _symmetry_curve(key: tuple[tuple[str, object], ...]) -> tuple[float, float]:
    values = dict(key)
    result = training.run(config_from_values(values).training_config())
    symmetry = result.runs[0].symmetry
    finite = symmetry[np.all(np.isfinite(symmetry), axis=1)]
    return float(np.max(finite[0])), float(np.max(finite))


def symmetry_outcome(p: Params) -> str:
    """ "stays_zero", "grows" or "positive": the largest distance between two units of a hidden
    layer over training, from the engine's run."""
    values = symmetry_values(p)
    key = tuple(sorted((k, v) for k, v in values.items()))
    first, largest = _symmetry_curve(key)
    if largest == 0.0:
        return "stays_zero"
    return "grows" if first == 0.0 else "positive"


def _symmetry_generate(rng: np.random.Generator) -> Params:
    init = _pick(rng, SYMMETRY_INITS)
    params: Params = {
        "init": init,
        "activation": _pick(rng, SYMMETRY_ACTIVATIONS),
        "layers": _pick(rng, SYMMETRY_LAYERS),
        **SYMMETRY_RUN,
    }
    if init == "constant":
        params["value"] = _pick(rng, SYMMETRY_VALUES)
    return params


def _symmetry_start(p: Params) -> str:
    if p["init"] == "constant":
        return f"every weight equal to {p['value']:g}"
    if p["init"] == "zeros":
        return "every weight equal to 0"
    return f"{scheme_label(p['init'])} weights"


SYMMETRY = ChoiceQuestion(
    id="training_symmetry",
    topic=TOPIC,
    title="Do equal units ever become different?",
    difficulty=1,
    prompt=lambda p: (
        f"A {get_activation(p['activation']).label} network with {p['layers']} hidden layers "
        f"of {p['width']} units starts from {_symmetry_start(p)} (biases 0) and is trained "
        f"for {p['epochs']} epochs. The Training page's symmetry panel plots, epoch by epoch, "
        "the largest distance between the incoming weights of two units of a hidden layer. "
        "What does it show?"
    ),
    generate=_symmetry_generate,
    options=(
        ("stays_zero", "Exactly 0 at every epoch: the units stay identical."),
        ("grows", "0 at first, then it grows: training separates the units."),
        ("positive", "Above 0 from the start, and it stays above 0."),
    ),
    correct=lambda p: (symmetry_outcome(p),),
    explanation=lambda p: (
        "Units with equal incoming weights compute equal outputs, so backpropagation gives "
        "them equal gradients and every update keeps them equal: the layer works like a single "
        "unit forever (Goodfellow, Bengio & Courville 2016, section 8.4). Random weights make "
        "the units different from the start. Here the engine measured: "
        + {
            "stays_zero": "exactly 0 at every epoch.",
            "grows": "0 at first, then above 0.",
            "positive": "above 0 from the start.",
        }[symmetry_outcome(p)]
    ),
    mistakes=(
        Mistake(
            "training_breaks_symmetry",
            lambda p: "grows" if symmetry_outcome(p) != "grows" else None,
            lambda p: (
                "Nothing in gradient descent can separate identical units: they get identical "
                "gradients at every step, and the lab computes them with identical operations, "
                "so not even rounding splits them."
                if symmetry_outcome(p) == "stays_zero"
                else "These weights are random: the units differ before the first step."
            ),
        ),
        Mistake(
            "random_is_symmetric",
            lambda p: "stays_zero" if symmetry_outcome(p) == "positive" else None,
            "Random weights give every unit its own incoming weights: they differ from the "
            "start, and training keeps them apart.",
        ),
        Mistake(
            "constant_is_random",
            lambda p: "positive" if symmetry_outcome(p) == "stays_zero" else None,
            "With zero or constant weights every unit of a layer starts with the same incoming "
            "weights: the distance starts at exactly 0.",
        ),
    ),
    page=PAGE_TRAINING,
    page_params=symmetry_values,
)


TRAINING_TEMPLATES: tuple[NumericQuestion | ChoiceQuestion, ...] = (
    SYMMETRY,
    FIRST_TO_TARGET,
    TRAINABLE_DEPTH,
)
