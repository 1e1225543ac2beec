"""Training's controls: the data set, the initializations compared, the network and the
optimizer. Limits and defaults come from lab.training and lab.datasets; the network's controls
are the shared group's (lab.controls.network) with the same names.

``inits`` lists the compared schemes. ``gain``, ``std`` and ``value`` are shown when one of the
compared schemes takes them, and apply to those schemes. ``width`` stops at
``MAX_TRAINING_WIDTH``: the trainer refuses networks with more than
``lab.training.MAX_PARAMETERS`` weights, and 100 layers of that width stay below the limit, so
every allowed combination runs.
"""

from __future__ import annotations

from dataclasses import replace

from lab.controls.core import (
    ChoiceControl,
    Condition,
    FloatControl,
    IntControl,
    MultiChoiceControl,
    PageControls,
)
from lab.controls.network import (
    ACTIVATION,
    BIAS_STD,
    GAIN,
    LAYERS,
    LEAKY_SLOPE,
    SCHEME_LABELS,
    SEED,
    STD,
    VALUE,
)
from lab.datasets import DATASETS, DEFAULT_SAMPLES, MAX_SAMPLES, MIN_SAMPLES, PLANAR
from lab.training import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_INITS,
    DEFAULT_LAYERS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_WIDTH,
    MAX_EPOCHS,
    MIN_WIDTH,
    OPTIMIZERS,
)

#: Widest hidden layer the page offers: 100 layers of 128 units have 1.66 million parameters,
#: below lab.training.MAX_PARAMETERS.
MAX_TRAINING_WIDTH = 128
#: Largest minibatch the page offers (a batch larger than the training part is the whole part).
MAX_TRAINING_BATCH = 1024
#: Learning rates offered: 1-2-5 steps from 1e-4 to 1.
LEARNING_RATES: tuple[float, ...] = tuple(
    float(f"{mantissa}e{exponent}") for exponent in range(-4, 1) for mantissa in (1, 2, 5)
)[:-2]
_OPTIMIZER_LABELS = {"sgd": "SGD + momentum", "adam": "Adam"}

DATASET = ChoiceControl(
    name="dataset",
    label="Data set",
    default="spirals",
    options=tuple(DATASETS.items()),
    help="Four 2-D sets generated from the seed, or scikit-learn's 8×8 handwritten digits "
    "(1,797 images, ten classes). A quarter of the points is held out.",
)
SAMPLES = IntControl(
    name="samples",
    label="Points",
    default=DEFAULT_SAMPLES["spirals"],
    low=MIN_SAMPLES,
    high=MAX_SAMPLES,
    widget="number",
    when=(("dataset", PLANAR),),
    help="Points of the 2-D set, training and held-out together. A large request may use "
    "fewer; the page says so.",
)
INITS = MultiChoiceControl(
    name="inits",
    label="Initializations",
    default=DEFAULT_INITS,
    options=tuple(SCHEME_LABELS.items()),
    min_chosen=1,
    help="Each one trains the same network on the same data, with the same minibatch order "
    "and the same random draws, scaled by its own rule.",
)


def _compared(parameter: FloatControl) -> Condition:
    """``parameter``'s condition on the scheme (``init is …``) as one on the compared schemes:
    shown when ``inits`` includes one of the schemes that take it."""
    ((_, schemes),) = parameter.when
    return ((INITS.name, schemes),)


INIT_GAIN = replace(
    GAIN,
    label="Gain g (Xavier, orthogonal)",
    when=_compared(GAIN),
    help="Xavier/Glorot (normal, uniform) and orthogonal only: Var(W) = g² × the scheme's "
    "variance.",
)
INIT_STD = replace(STD, label="Std σ of Normal N(0, σ²)", when=_compared(STD))
INIT_VALUE = replace(
    VALUE, label="Constant c", when=_compared(VALUE), help="Constant only: every weight equals c."
)
TRAINING_LAYERS = replace(
    LAYERS, default=DEFAULT_LAYERS, label="Hidden layers", help="Hidden layers L."
)
TRAINING_WIDTH = IntControl(
    name="width",
    label="Units per layer",
    default=DEFAULT_WIDTH,
    low=MIN_WIDTH,
    high=MAX_TRAINING_WIDTH,
    widget="number",
    help="Every hidden layer's width n.",
)
EPOCHS = IntControl(
    name="epochs",
    label="Epochs",
    default=DEFAULT_EPOCHS,
    low=1,
    high=MAX_EPOCHS,
    widget="number",
    help="Passes over the training part. A large request may run fewer; the page says so.",
)
OPTIMIZER = ChoiceControl(
    name="optimizer",
    label="Optimizer",
    default="sgd",
    options=tuple((name, _OPTIMIZER_LABELS[name]) for name in OPTIMIZERS),
    widget="segmented",
    help="Minibatch SGD with momentum 0.9, or Adam (Kingma & Ba 2015).",
)
LEARNING_RATE = FloatControl(
    name="learning_rate",
    label="Learning rate",
    default=DEFAULT_LEARNING_RATE["sgd"],
    low=LEARNING_RATES[0],
    high=LEARNING_RATES[-1],
    options=LEARNING_RATES,
    help=f"Step size. {DEFAULT_LEARNING_RATE['sgd']:g} suits SGD here; Adam is often run at "
    f"{DEFAULT_LEARNING_RATE['adam']:g}.",
)
BATCH_SIZE = IntControl(
    name="batch_size",
    label="Batch size",
    default=DEFAULT_BATCH_SIZE,
    # Below 16 an epoch is a long run of tiny steps whose per-step overhead dominates: at
    # 100 layers a batch of 1 took five times the budget.
    low=16,
    high=MAX_TRAINING_BATCH,
    widget="number",
    help="Points per minibatch step.",
)

#: The sidebar's groups, by URL name.
DATA_NAMES: tuple[str, ...] = (DATASET.name, SAMPLES.name)
INIT_NAMES: tuple[str, ...] = (INITS.name,)
SCHEME_PARAMETER_NAMES: tuple[str, ...] = (INIT_GAIN.name, INIT_STD.name, INIT_VALUE.name)
NETWORK_NAMES: tuple[str, ...] = (
    ACTIVATION.name,
    LEAKY_SLOPE.name,
    TRAINING_LAYERS.name,
    TRAINING_WIDTH.name,
    BIAS_STD.name,
)
TRAINING_NAMES: tuple[str, ...] = (
    EPOCHS.name,
    OPTIMIZER.name,
    LEARNING_RATE.name,
    BATCH_SIZE.name,
    SEED.name,
)

CONTROLS = PageControls(
    "training",
    "train",
    (
        DATASET,
        SAMPLES,
        INITS,
        INIT_GAIN,
        INIT_STD,
        INIT_VALUE,
        ACTIVATION,
        LEAKY_SLOPE,
        TRAINING_LAYERS,
        TRAINING_WIDTH,
        BIAS_STD,
        EPOCHS,
        OPTIMIZER,
        LEARNING_RATE,
        BATCH_SIZE,
        SEED,
    ),
)
