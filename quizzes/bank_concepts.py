"""Choice question templates on the ideas behind initialization.

Wrong options carry a :class:`~quizzes.questions.Mistake` naming the misconception; its
feedback is shown when the option is picked. Sources: symmetry breaking and the ReLU factor
(He et al. 2015), fan modes (PyTorch ``kaiming_normal_`` documentation), batch normalization
(Ioffe & Szegedy 2015), zero-initialized residual branches (Goyal et al. 2017), the rand vs
randn erratum in ``reference.md``; the scheme for an activation comes from
``lab.diagnosis.recommended_init``. ``CONCEPT_TEMPLATES`` lists them in quiz order.
"""

from __future__ import annotations

from lab.diagnosis import advise, describe_fit, recommended_init, scheme_fit
from quizzes.questions import ChoiceQuestion, Mistake, Params

TOPIC = "concepts"
#: Keys of the simulation pages the questions link to (lab.controls.registry).
PAGE_SIGNAL = "signal_propagation"
PAGE_RAND = "gradient_flow"

ZERO_INIT = ChoiceQuestion(
    id="zero_init_symmetry",
    topic=TOPIC,
    title="Why not all zeros?",
    difficulty=1,
    prompt=(
        "Every weight and bias of a hidden layer starts at the same constant (for example 0). "
        "Why does the network fail to learn useful hidden features?"
    ),
    options=(
        (
            "identical_units",
            "All hidden units compute the same output and get the same update, so they stay "
            "copies.",
        ),
        (
            "scale",
            "The constant is too small; a larger one such as 0.5 would give the units room to "
            "learn.",
        ),
        (
            "bias",
            "Nothing fails: the biases get different gradients and break the tie during training.",
        ),
        (
            "nan",
            "The zero weights make the loss gradient divide by zero, so the first update is NaN.",
        ),
    ),
    correct=("identical_units",),
    explanation=(
        "Identical units receive identical updates, so nothing ever makes them differ "
        "(symmetry). Random weights break the symmetry; their scale (Xavier, He) keeps the "
        "signal's size."
    ),
    mistakes=(
        Mistake(
            "constant_scale",
            "scale",
            "A larger constant still makes every unit identical: the symmetry is the problem, "
            "not the scale.",
        ),
        Mistake(
            "bias_breaks_symmetry",
            "bias",
            "Biases that start equal also get equal gradients; they never break the tie.",
        ),
        Mistake("nan_loss", "nan", "Nothing divides by zero; the loss stays finite but stuck."),
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {"init": "zeros", "activation": "relu"},
)

RAND_VS_RANDN = ChoiceQuestion(
    id="rand_vs_randn",
    topic=TOPIC,
    title="rand vs randn",
    difficulty=2,
    prompt=(
        "A 10-layer tanh network trains with `np.random.randn(n_in, n_out) * s` but not with "
        "`np.random.rand(n_in, n_out) * s`. Which statements are true? Select all that apply."
    ),
    options=(
        (
            "positive_mean",
            "rand's weights are all positive (mean 1/2): pre-activations drift one way and tanh "
            "saturates.",
        ),
        (
            "matched_variance",
            "A symmetric uniform U(-sqrt(3) s, sqrt(3) s), with randn's variance, would train "
            "about as well.",
        ),
        (
            "bell_shape",
            "Only bell-shaped weights keep a deep net trainable; with any uniform draw the "
            "gradients vanish.",
        ),
        (
            "larger_variance",
            "rand has a much larger variance than randn, so the same s gives far bigger "
            "pre-activations.",
        ),
        (
            "tails",
            "Uniform weights have heavier tails than normal ones, so a few huge weights dominate "
            "each sum.",
        ),
    ),
    correct=("positive_mean", "matched_variance"),
    multi_select=True,
    explanation=(
        "U[0, 1) has mean 1/2 and variance 1/12; N(0, 1) has mean 0 and variance 1. The sum "
        "over many inputs is close to normal whatever the weights' shape (central limit "
        "theorem), so mean and variance decide. Match them and the gap closes."
    ),
    mistakes=(
        Mistake(
            "bell_shape",
            "bell_shape",
            "The shape hardly matters: a sum of many weighted inputs is nearly normal either "
            "way. The mean and the variance of the weights matter.",
        ),
        Mistake(
            "rand_larger_variance",
            "larger_variance",
            "U[0, 1) has variance 1/12, far below randn's 1. Its problem is the mean 1/2.",
        ),
        Mistake("uniform_tails", "tails", "The reverse: a uniform has no tails at all."),
    ),
    page=PAGE_RAND,
)

OUTPUT_LAYER = ChoiceQuestion(
    id="output_layer_init",
    topic=TOPIC,
    title="Small output layer",
    difficulty=2,
    prompt=(
        "Why is the last layer of a classifier (the logits before the softmax) often "
        "initialized with small weights, std 0.01 or even zero?"
    ),
    options=(
        (
            "uniform_start",
            "Near-zero logits make the softmax start out near uniform, with a first loss of "
            "about ln(K).",
        ),
        (
            "symmetry",
            "Small output weights are what breaks the symmetry between the output units of the "
            "classes.",
        ),
        (
            "explosion",
            "Small weights stop the signal from exploding in the layers that come after the "
            "output layer.",
        ),
        (
            "no_gradient",
            "It is a mistake: with zero output weights, no gradient ever reaches the earlier "
            "layers.",
        ),
    ),
    correct=("uniform_start",),
    explanation=(
        "Large random logits make confident, random predictions with a large initial loss and "
        "large first gradients. Small or zero output weights start from 'no opinion'; the "
        "hidden layers keep their He or Xavier scale."
    ),
    mistakes=(
        Mistake(
            "small_breaks_symmetry",
            "symmetry",
            "Smallness does not break symmetry. Output units differ anyway: each has its own "
            "target and so its own gradient.",
        ),
        Mistake(
            "layers_after_output",
            "explosion",
            "There are no layers after the output layer.",
        ),
        Mistake(
            "zero_output_blocks_gradient",
            "no_gradient",
            "Only for the first step: the output weights get a gradient at once, and after one "
            "update the error flows back to the earlier layers.",
        ),
    ),
)

BATCH_NORM = ChoiceQuestion(
    id="batchnorm_effect",
    topic=TOPIC,
    title="What batch normalization changes",
    difficulty=2,
    prompt="What does batch normalization change about weight initialization?",
    options=(
        (
            "forgives_scale",
            "The signal's size stops depending on the weights' scale; symmetry must still be "
            "broken.",
        ),
        (
            "irrelevant",
            "Initialization stops mattering at all: even all-zero weights train well with batch "
            "norm.",
        ),
        (
            "normalizes_weights",
            "It rescales the weight matrices themselves to unit variance after every training "
            "step.",
        ),
        (
            "transformers",
            "Transformers owe their robustness to batch normalization, so their init needs no "
            "care.",
        ),
    ),
    correct=("forgives_scale",),
    explanation=(
        "BN divides each pre-activation by its batch std, which cancels the weights' scale in "
        "the forward pass. It cannot make identical units differ, and networks without BN "
        "(transformers use layer normalization) still depend on a careful init."
    ),
    mistakes=(
        Mistake(
            "bn_makes_init_irrelevant",
            "irrelevant",
            "Zero or constant weights still make all units identical; normalizing cannot "
            "break that symmetry.",
        ),
        Mistake(
            "bn_normalizes_weights",
            "normalizes_weights",
            "BN normalizes activations over a batch, not the weights (that is weight "
            "normalization, a different method).",
        ),
        Mistake(
            "transformers_use_bn",
            "transformers",
            "Transformers use layer normalization, and they still scale their init, e.g. GPT-2's "
            "1/sqrt(2L) for residual projections.",
        ),
    ),
)

HE_FACTOR_TWO = ChoiceQuestion(
    id="why_he_doubles",
    topic=TOPIC,
    title="Where He's factor 2 comes from",
    difficulty=1,
    prompt=(
        "He initialization uses variance 2/fan_in where LeCun uses 1/fan_in. Where does the "
        "factor 2 come from?"
    ),
    options=(
        (
            "relu_halves",
            "ReLU zeroes the negative half of its inputs, so E[relu(z)^2] is only Var(z)/2.",
        ),
        (
            "derivative",
            "ReLU's derivative is 2 for positive inputs, and the backward pass needs that factor.",
        ),
        (
            "fan_average",
            "It averages fan_in and fan_out as Xavier does, and the average brings in a 2.",
        ),
        (
            "positive_mean",
            "It offsets ReLU's positive mean, which would otherwise shift every layer's output.",
        ),
    ),
    correct=("relu_halves",),
    explanation=(
        "Var(z_l) = n Var(W) E[a_{l-1}^2] and E[relu(z)^2] = Var(z)/2 for symmetric z, so "
        "n Var(W) = 2 keeps Var(z) constant from layer to layer."
    ),
    mistakes=(
        Mistake(
            "relu_derivative_two",
            "derivative",
            "ReLU's derivative is 1 for positive inputs and 0 for negative ones.",
        ),
        Mistake(
            "he_averages_fans",
            "fan_average",
            "He divides by fan_in (or fan_out) alone; the 2 is the ReLU factor.",
        ),
        Mistake(
            "relu_mean",
            "positive_mean",
            "The mean of relu(z) does not enter; the mean square E[relu(z)^2] does, and ReLU "
            "halves it.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {"init": "he_normal", "activation": "relu"},
)

FAN_MODE = ChoiceQuestion(
    id="fan_mode_purpose",
    topic=TOPIC,
    title="fan_in vs fan_out",
    difficulty=2,
    prompt=(
        "In a network whose layers have fan_in different from fan_out, what does He's "
        "mode='fan_out' keep constant from layer to layer?"
    ),
    options=(
        ("backward", "The variance of the gradients as they flow backward."),
        ("forward", "The variance of the activations as they flow forward."),
        ("both", "Both the forward and the backward variance, exactly."),
        ("weight_norm", "The norm of each weight matrix, layer after layer."),
    ),
    correct=("backward",),
    explanation=(
        "The backward pass multiplies by W transposed, so each gradient sums over fan_out "
        "terms: Var(W) = 2/fan_out keeps it. mode='fan_in' (the default) keeps the forward "
        "activations. Xavier compromises with the average fan."
    ),
    mistakes=(
        Mistake(
            "fan_out_forward",
            "forward",
            "That is mode='fan_in', which counts the inputs summed in the forward pass.",
        ),
        Mistake(
            "fan_mode_both",
            "both",
            "With unequal fans one variance cannot keep both; that is why Xavier averages them.",
        ),
        Mistake(
            "fan_mode_norm",
            "weight_norm",
            "The fan modes are about the variance of the signals, not the matrix norm.",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {"init": "he_normal", "mode": "fan_out", "activation": "relu"},
)

RESIDUAL_ZERO = ChoiceQuestion(
    id="residual_zero_init",
    topic=TOPIC,
    title="Zero-initialized residual branches",
    difficulty=3,
    prompt=(
        "In residual blocks y = x + F(x), the last layer of F (or the scale of its last "
        "normalization) is often initialized to zero. What does that achieve?"
    ),
    options=(
        (
            "identity",
            "Each block starts as the identity, so a deep stack begins with its signal's size "
            "intact.",
        ),
        (
            "cannot_learn",
            "Nothing useful: zero weights never learn, so symmetry keeps each branch switched "
            "off for good.",
        ),
        (
            "faster",
            "It makes the network cheaper to run, because zero branches can be skipped at "
            "inference.",
        ),
        (
            "regularizes",
            "It keeps each branch at exactly zero for the whole training, acting as a regularizer.",
        ),
    ),
    correct=("identity",),
    explanation=(
        "With F = 0 at the start, y = x: depth adds no variance at first, and the zero layer's "
        "weights get a gradient from the random activations inside the branch, so the branches "
        "grow as they become useful."
    ),
    mistakes=(
        Mistake(
            "zero_layer_symmetry",
            "cannot_learn",
            "The units of the zero layer see different random inputs from the branch, so they "
            "get different gradients: symmetry is broken by the layers before it.",
        ),
        Mistake("zero_init_speed", "faster", "The architecture and its cost do not change."),
        Mistake(
            "zero_init_regularizer",
            "regularizes",
            "The zero layer gets a nonzero gradient and moves away from zero at once.",
        ),
    ),
)

# --- which init for which activation (answer: lab.diagnosis.recommended_init) ----------------

INIT_ACTIVATIONS = ("relu", "leaky_relu", "gelu", "tanh", "sigmoid", "linear", "selu")
#: The layers of the stack, as a plural noun phrase ("a deep stack of ...").
LAYER_TYPES = {
    "dense": "dense layers (`nn.Linear`)",
    "conv": "3x3 convolutions (`nn.Conv2d`)",
}
INIT_OPTION_TEXT = {
    "he_normal": "He (Kaiming) normal: Var(W) = 2 / fan_in",
    "xavier_normal": "Xavier normal: Var(W) = 2 / (fan_in + fan_out)",
    "lecun_normal": "LeCun normal: Var(W) = 1 / fan_in",
    "large_random": "Standard normal: W ~ N(0, 1), as `np.random.randn`",
    "zeros": "All zeros: every weight set to 0",
    "torch_linear_default": "PyTorch's default: Var(W) = 1 / (3 fan_in)",
}
#: The distractors shown next to each recommended scheme that matches the activation.
_DISTRACTORS = {
    "he_normal": ("xavier_normal", "lecun_normal", "large_random"),
    "xavier_normal": ("he_normal", "large_random", "zeros"),
    "lecun_normal": ("he_normal", "large_random", "zeros"),
}
#: When no scheme matches (tanh, sigmoid, GELU) the question asks which comes closest to
#: chi1 = 1, among fan-scaled schemes only: N(0, 1) ignores the fan, so its chi1 depends on a
#: width the question does not give. Xavier and LeCun coincide at equal fans, so only one of
#: them is shown next to the other's answer.
_CLOSEST_DISTRACTORS = {
    "he_normal": ("xavier_normal", "lecun_normal", "torch_linear_default"),
    "xavier_normal": ("he_normal", "torch_linear_default", "zeros"),
}
ACTIVATION_TEXT = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU (slope 0.01)",
    "gelu": "GELU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "linear": "no activation (linear)",
    "selu": "SELU",
}


def recommended_scheme(p: Params) -> str:
    """The engine's recommended scheme name for the variant's activation."""
    return recommended_init(p["activation"]).init


def scheme_matches(p: Params) -> bool:
    """Whether the recommended scheme keeps both scales (else it is only the closest)."""
    return recommended_init(p["activation"]).matches


def init_option_ids(p: Params) -> tuple[str, ...]:
    """The options of a variant: the engine's recommendation first, then its distractors."""
    scheme = recommended_scheme(p)
    table = _DISTRACTORS if scheme_matches(p) else _CLOSEST_DISTRACTORS
    return (scheme, *table[scheme])


def _init_options(p: Params) -> list[tuple[str, str]]:
    return [(key, INIT_OPTION_TEXT[key]) for key in init_option_ids(p)]


def _if_shown(option: str):
    """The option id when the variant shows it and it is wrong, else None."""
    return lambda p: (
        option if option in init_option_ids(p) and option != recommended_scheme(p) else None
    )


def _scheme_feedback(option: str):
    """Feedback built from the engine's numbers for ``option`` with the variant's activation."""

    def feedback(p: Params) -> str:
        advice = advise(p["activation"])
        return describe_fit(scheme_fit(advice, option), advice)

    return feedback


def _init_prompt(p: Params) -> str:
    stack = f"a deep stack of {LAYER_TYPES[p['layer']]}, each followed by"
    activation = ACTIVATION_TEXT[p["activation"]]
    if scheme_matches(p):
        return f"Which initialization keeps the signal's scale through {stack} {activation}?"
    return (
        f"No standard initialization keeps both the signal's and the gradient's scale through "
        f"{stack} {activation}. Which one comes closest to the edge of chaos (χ₁ = 1, where "
        "gradients neither vanish nor explode)?"
    )


INIT_FOR_ACTIVATION = ChoiceQuestion(
    id="init_for_activation",
    topic=TOPIC,
    title="Which init for which activation",
    difficulty=1,
    prompt=_init_prompt,
    generate=lambda rng: {
        "activation": INIT_ACTIVATIONS[int(rng.integers(len(INIT_ACTIVATIONS)))],
        "layer": tuple(LAYER_TYPES)[int(rng.integers(len(LAYER_TYPES)))],
    },
    options=_init_options,
    correct=lambda p: (recommended_scheme(p),),
    explanation=lambda p: (
        recommended_init(p["activation"]).reason
        + (
            " A convolution follows the same rule with fan_in = C_in k^2."
            if p["layer"] == "conv"
            else ""
        )
    ),
    mistakes=(
        Mistake(
            "xavier_not_for_this", _if_shown("xavier_normal"), _scheme_feedback("xavier_normal")
        ),
        Mistake("lecun_not_for_this", _if_shown("lecun_normal"), _scheme_feedback("lecun_normal")),
        Mistake("he_not_for_this", _if_shown("he_normal"), _scheme_feedback("he_normal")),
        Mistake(
            "torch_default_too_small",
            _if_shown("torch_linear_default"),
            _scheme_feedback("torch_linear_default"),
        ),
        Mistake(
            "randn_ignores_fan",
            _if_shown("large_random"),
            "N(0, 1) ignores the fan: each layer multiplies the variance by about fan_in, so "
            "the signal explodes within a few layers.",
        ),
        Mistake(
            "zeros_symmetry",
            _if_shown("zeros"),
            "All-zero weights give every unit the same output and gradient; the units never "
            "become different (and no signal passes).",
        ),
    ),
    page=PAGE_SIGNAL,
    page_params=lambda p: {"init": recommended_scheme(p), "activation": p["activation"]},
    page_note=lambda p: (
        "Opens the simulation with this activation and the scheme that "
        + ("suits it" if scheme_matches(p) else "comes closest")
        + (", in dense layers (the page has no convolutions)." if p["layer"] == "conv" else ".")
    ),
)

CONCEPT_TEMPLATES: tuple[ChoiceQuestion, ...] = (
    INIT_FOR_ACTIVATION,
    ZERO_INIT,
    RAND_VS_RANDN,
    OUTPUT_LAYER,
    BATCH_NORM,
    HE_FACTOR_TWO,
    FAN_MODE,
    RESIDUAL_ZERO,
)
