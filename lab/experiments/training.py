"""The Training page's experiment: ``run(config, progress) -> Result``, everything it shows.

The same network is trained from each chosen initialization on the same data, with the same
minibatch order and the same random draws (``lab.training.run``: an MLP with hand-written
backpropagation, Rumelhart et al. 1986). Next to each outcome stands the network's health at
initialization, judged by the Signal propagation page's experiment on the same hidden layers
(``lab.experiments.signal_propagation.run``: ``lab.diagnosis`` on a Monte-Carlo pass with a
unit-variance Gaussian input).

Shown: the loss and accuracy curves (training and held-out), the "wasted epochs" (the first
epoch whose training loss reaches the target, ``lab.training.DEFAULT_TARGET_SHARE`` of the
chance-level loss), the decision regions of the 2-D sets, the Frobenius norm of dL/dW_l per
layer over training, and the symmetry measure: the largest distance between two units'
incoming weights of a hidden layer, exactly 0 while the layer's units are identical (zero or
constant weights: identical units get identical gradients; Goodfellow, Bengio & Courville 2016,
section 8.4).

Every value inside the page's declared ranges runs: the trainer's budget lowers the points,
then the epochs, never the network, and draws the decision regions of a large network on a
coarser grid (``lab.training.fit_budget``); at most ``lab.training.MAX_INITS``
initializations train; ``Result.notes`` says what was lowered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lab import training
from lab.axes import decade_span
from lab.controls.training import CONTROLS, OPTIMIZER
from lab.datasets import PLANAR
from lab.experiments import signal_propagation
from lab.initializers import SCHEME_PARAMETERS, get_initializer
from lab.network import check_init_params
from lab.text import plural

#: Points of a curve the charts draw at most (every epoch up to this many, then evenly spaced).
CURVE_POINTS = 200
#: Weight layers a gradient panel draws at most (evenly spaced, the first and the read-out).
GRADIENT_LAYERS = 9
#: Input rows of the health check at initialization (Signal propagation's simulation).
HEALTH_SAMPLES = 256
#: Names of the two parts of the data in the curves.
TRAIN = "training"
HELD_OUT = "held-out"
#: The scheme parameters the page declares (the others keep the scheme's default).
_PAGE_SCHEME_PARAMETERS = ("gain", "std", "value")

_CONTROLLED = (
    "dataset",
    "samples",
    "inits",
    "gain",
    "std",
    "value",
    "activation",
    "leaky_slope",
    "layers",
    "width",
    "bias_std",
    "epochs",
    "optimizer",
    "learning_rate",
    "batch_size",
    "seed",
)


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One request of the page; every field is checked against the page's declared control
    (``lab.controls.training.CONTROLS``). ``samples`` applies to the 2-D sets (the digits use
    all 1,797 images; the field then holds its default, so equal runs have equal configs).
    ``gain``, ``std`` and ``value`` are the parameters of the compared schemes that take them."""

    dataset: str = CONTROLS["dataset"].default
    samples: int = CONTROLS["samples"].default
    inits: tuple[str, ...] = CONTROLS["inits"].default
    gain: float = CONTROLS["gain"].default
    std: float = CONTROLS["std"].default
    value: float = CONTROLS["value"].default
    activation: str = CONTROLS["activation"].default
    leaky_slope: float = CONTROLS["leaky_slope"].default
    layers: int = CONTROLS["layers"].default
    width: int = CONTROLS["width"].default
    bias_std: float = CONTROLS["bias_std"].default
    epochs: int = CONTROLS["epochs"].default
    optimizer: str = CONTROLS["optimizer"].default
    learning_rate: float = CONTROLS["learning_rate"].default
    batch_size: int = CONTROLS["batch_size"].default
    seed: int = CONTROLS["seed"].default

    def __post_init__(self) -> None:
        for name in _CONTROLLED:
            object.__setattr__(self, name, CONTROLS[name].check(getattr(self, name)))
        if self.dataset not in PLANAR:
            object.__setattr__(self, "samples", CONTROLS["samples"].default)

    @property
    def trained_inits(self) -> tuple[str, ...]:
        """The initializations that train: the first ``lab.training.MAX_INITS`` chosen."""
        return self.inits[: training.MAX_INITS]

    def init_params(self, scheme: str) -> tuple[tuple[str, float | str], ...]:
        """The page's parameters of ``scheme`` (gain, std, value: those it takes)."""
        taken = SCHEME_PARAMETERS.get(scheme, ())
        given = tuple((name, getattr(self, name)) for name in _PAGE_SCHEME_PARAMETERS)
        return check_init_params(scheme, tuple(item for item in given if item[0] in taken))

    def training_config(self) -> training.TrainingConfig:
        """The trainer's configuration (before its budget)."""
        return training.TrainingConfig(
            dataset=self.dataset,
            inits=tuple((name, self.init_params(name)) for name in self.trained_inits),
            activation=self.activation,
            leaky_slope=self.leaky_slope,
            layers=self.layers,
            width=self.width,
            epochs=self.epochs,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            samples=self.samples if self.dataset in PLANAR else None,
            bias_std=self.bias_std,
            seed=self.seed,
        )

    def signal_config(self, scheme: str) -> signal_propagation.Config:
        """Signal propagation's request for the hidden layers started from ``scheme``."""
        return signal_propagation.Config(
            init=scheme,
            init_params=self.init_params(scheme),
            activation=self.activation,
            leaky_slope=self.leaky_slope,
            layers=self.layers,
            width=self.width,
            bias_std=self.bias_std,
            samples=HEALTH_SAMPLES,
            seed=self.seed,
        )


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of the control values ``draw_controls`` or ``parse_query`` returns (missing
    controls take their defaults; an undeclared name or an illegal value raises ValueError)."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return Config(**{name: full[name] for name in _CONTROLLED})  # type: ignore[arg-type]


# --- what the page draws --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One initialization: its health at initialization next to how it trained.

    health: ``lab.diagnosis``'s state of the forward signal at initialization (Signal
    propagation's simulation of the hidden layers) and health_message its sentence; verdict:
    ``lab.diagnosis.match_verdict``'s label (match, partial, mismatch, never; with
    ``CLOSEST_NOTE`` for the scheme theory recommends when none matches) and verdict_reason.
    epochs_to_target: the first epoch whose training loss is at most the target (None: never);
    wasted: that as text ("never", or "diverged at epoch k"); behind: epochs more than the
    fastest initialization (None when it never got there). final_*: the last epoch's values
    (NaN once diverged). tied: the network started with identical units in a hidden layer;
    unit_distance: the largest distance between two units of a hidden layer after training
    (0.0 exactly while they are identical).
    """

    init: str
    label: str
    health: str
    health_message: str
    verdict: str
    verdict_reason: str
    epochs_to_target: int | None
    wasted: str
    behind: int | None
    diverged_epoch: int | None
    final_train_loss: float
    final_train_accuracy: float
    final_held_out_loss: float
    final_held_out_accuracy: float
    tied: bool
    unit_distance: float


@dataclass(frozen=True, eq=False)
class Curves:
    """The curves every chart of the page shares: ``epochs`` (at most CURVE_POINTS + 1 of
    them, always 0 and the last) and, per initialization in ``labels`` order, arrays of shape
    (len(labels), len(epochs)): loss and accuracy on the training and held-out parts (NaN once
    diverged) and ``unit_distance``, the largest distance between two units of any hidden
    layer."""

    epochs: np.ndarray
    labels: tuple[str, ...]
    train_loss: np.ndarray
    held_out_loss: np.ndarray
    train_accuracy: np.ndarray
    held_out_accuracy: np.ndarray
    unit_distance: np.ndarray


@dataclass(frozen=True, eq=False)
class GradientPanel:
    """One initialization's gradient norms: ``norms`` (len(epochs), len(layers)), the
    Frobenius norm of dL/dW_l for the weight layers ``layers`` (1..L, then L+1 = the read-out),
    row 0 at initialization. ``note``: '' or one line on what a log axis cannot show (exact
    zeros, values after divergence)."""

    label: str
    epochs: np.ndarray
    layers: tuple[int, ...]
    norms: np.ndarray
    note: str


@dataclass(frozen=True, eq=False)
class BoundaryPanel:
    """One initialization's decision regions on a 2-D set after training: ``grid_class``
    (rows at ``grid_y``, columns at ``grid_x``, -1 where the logits overflowed) and its
    probability; ``cell_x``, ``cell_y``: half the spacing of the grid."""

    label: str
    grid_x: np.ndarray
    grid_y: np.ndarray
    cell_x: float
    cell_y: float
    grid_class: np.ndarray
    grid_probability: np.ndarray
    final_train_accuracy: float


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the Training page shows for one Config.

    ran: the trainer's configuration that ran (after its budget). notes: one line per thing
    the budget lowered (points, epochs, initializations), else empty.
    heading, data_caption, target_caption: the lines above the results; target_loss and
    chance_accuracy: the loss the wasted epochs wait for and the chance-level accuracy of the
    training part (the charts' reference lines). outcomes: one per
    initialization, in the order asked; fastest: the sentence on who reached the target first.
    loss_note: '' or what a log axis of the loss cannot show (diverged runs, a loss of 0), and
    which loss curves lie on top of each other; accuracy_note: '' or which accuracy curves do.
    loss_axis: the loss chart's log axis (``loss_axis``); loss_note names the losses above it.
    curves, gradients (one panel per initialization), boundaries (one per initialization on a
    2-D set, empty for the digits; points: the training points and labels), symmetry_lines:
    one sentence per initialization for the symmetry panel; symmetry_note: '' or which of its
    lines lie on top of each other; class_names: the classes' names.
    """

    config: Config
    ran: training.TrainingConfig
    notes: tuple[str, ...]
    heading: str
    data_caption: str
    target_loss: float
    target_caption: str
    chance_accuracy: float
    outcomes: tuple[Outcome, ...]
    fastest: str
    curves: Curves
    loss_axis: tuple[float, float]
    loss_note: str
    accuracy_note: str
    gradients: tuple[GradientPanel, ...]
    boundaries: tuple[BoundaryPanel, ...]
    points: np.ndarray | None
    point_labels: np.ndarray | None
    class_names: tuple[str, ...]
    symmetry_lines: tuple[str, ...]
    symmetry_note: str


def run(config: Config, progress: Callable[[float], None] | None = None) -> Result:
    """Train ``config``'s network from each initialization (``progress`` gets the share done
    after every epoch) and describe the outcome next to each network's health at
    initialization."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a training.Config; got {config!r}")
    result = training.run(config.training_config(), progress)
    notes = [result.budget_note] if result.budget_note else []
    if len(config.inits) > training.MAX_INITS:
        notes.append(
            f"{len(config.inits)} initializations chosen: the first {training.MAX_INITS} "
            f"train, the lab trains at most {training.MAX_INITS} at once."
        )
    labels = _unique([_label(run.init, dict(run.params)) for run in result.runs], result)
    curves = _curves(result, labels)
    axis = loss_axis(curves, result.target_loss)
    outcomes = _outcomes(config, result, labels)
    data = result.dataset
    ran = result.config
    return Result(
        config=config,
        ran=ran,
        notes=tuple(notes),
        heading=_heading(ran),
        data_caption=(
            f"{data.label}: {len(data.y_train):,} training and {len(data.y_test):,} held-out "
            f"points, {data.classes} classes ({data.source}). Chance level: loss "
            f"{data.chance_loss:.3f} and accuracy {data.chance_accuracy:.1%}, what a network "
            "that ignores its input reaches."
        ),
        target_loss=result.target_loss,
        target_caption=(
            f"Target loss {result.target_loss:.3g}: {training.DEFAULT_TARGET_SHARE:.0%} of the "
            f"chance-level loss {data.chance_loss:.3g}. The wasted epochs are the epochs before "
            "an initialization's training loss first reaches it. Health and verdict judge the "
            "network before training (the simulation at initialization and mean-field theory); "
            "the columns after them are what training did, so a network can start healthy and "
            "still train slowly, or start as a mismatch and train fast."
            + _short_names(result, labels)
        ),
        chance_accuracy=data.chance_accuracy,
        outcomes=outcomes,
        fastest=_fastest(outcomes, ran.epochs),
        curves=curves,
        loss_axis=axis,
        loss_note=_loss_note(outcomes, curves, axis),
        accuracy_note=_accuracy_note(curves),
        gradients=tuple(
            _gradient_panel(run, label, result.epochs)
            for run, label in zip(result.runs, labels, strict=True)
        ),
        boundaries=_boundaries(result, labels),
        points=data.x_train if data.planar else None,
        point_labels=data.y_train if data.planar else None,
        class_names=tuple(f"class {k}" for k in range(data.classes))
        if data.planar
        else tuple(str(k) for k in range(data.classes)),
        symmetry_lines=tuple(_symmetry_line(o, ran.epochs, data) for o in outcomes),
        symmetry_note=_symmetry_note(curves),
    )


# --- pieces ---------------------------------------------------------------------------------


def _label(scheme: str, params: Mapping[str, object]) -> str:
    """A short name for tables and legends (a phone's legend has room for about 20
    characters): N(0, s²) for the fixed-std normal schemes, "Xavier" for "Xavier/Glorot" and
    "He" for "He/Kaiming" in the engine's label, with a gain other than 1."""
    initializer = get_initializer(scheme, **dict(params))
    if initializer.distribution == "normal" and not initializer.is_scaled:
        std = initializer.std_value
        return "N(0, 1)" if std == 1.0 else f"N(0, {std:g}²)"
    label = initializer.label.replace("Xavier/Glorot", "Xavier").replace("He/Kaiming", "He")
    gain = params.get("gain")
    if gain is not None and float(gain) != 1.0:
        return f"{label}, gain {float(gain):g}"
    return label


def _short_names(result: training.TrainingResult, labels: Sequence[str]) -> str:
    """A sentence tying the fixed-std normal schemes' short names (``_label``) to the
    sidebar's: " In the sidebar, N(0, 1) is Large random (std 1.0)."; "" without one."""
    pairs = []
    for run, label in zip(result.runs, labels, strict=True):
        full = get_initializer(run.init, **dict(run.params)).label
        if label.startswith("N(0,") and full not in label and (label, full) not in pairs:
            pairs.append((label, full))
    if not pairs:
        return ""
    return " In the sidebar, " + ", ".join(f"{label} is {full}" for label, full in pairs) + "."


def _unique(labels: list[str], result: training.TrainingResult) -> tuple[str, ...]:
    """The labels, each repeated one followed by its scheme's name (N(0, 1) is both
    ``large_random`` and ``normal`` at std 1)."""
    return tuple(
        f"{label} ({run.init})" if labels.count(label) > 1 else label
        for label, run in zip(labels, result.runs, strict=True)
    )


def _heading(ran: training.TrainingConfig) -> str:
    act = ran.activation_function()
    optimizer = OPTIMIZER.labels[ran.optimizer]
    return (
        f"{ran.layers} hidden layer{'s' if ran.layers != 1 else ''} × {ran.width} {act.label} "
        f"units, {optimizer}, learning rate {ran.rate:g}, batch {ran.batch_size}, "
        f"{ran.epochs} epoch{'s' if ran.epochs != 1 else ''}"
    )


def _outcomes(
    config: Config, result: training.TrainingResult, labels: tuple[str, ...]
) -> tuple[Outcome, ...]:
    reached = [run.epochs_to_target for run in result.runs if run.epochs_to_target is not None]
    best = min(reached) if reached else None
    outcomes = []
    for run, label in zip(result.runs, labels, strict=True):
        health = signal_propagation.run(config.signal_config(run.init))
        diagnosis = health.summary.diagnosis
        if run.epochs_to_target is not None:
            wasted = str(run.epochs_to_target)
        elif run.diverged_epoch is not None:
            wasted = f"never (diverged at epoch {run.diverged_epoch})"
        else:
            wasted = "never"
        finite = np.flatnonzero(np.all(np.isfinite(run.symmetry), axis=1))
        last = run.symmetry[finite[-1]] if finite.size else np.array([np.nan])
        verdict = health.verdict.label
        if health.verdict.closest:  # the reason says so too: one rule, lab.diagnosis
            verdict += CLOSEST_NOTE
        outcomes.append(
            Outcome(
                init=run.init,
                label=label,
                health=diagnosis.state,
                health_message=diagnosis.message,
                verdict=verdict,
                verdict_reason=" ".join(
                    filter(None, (health.verdict.reason, health.verdict_caveat))
                ),
                epochs_to_target=run.epochs_to_target,
                wasted=wasted,
                behind=None
                if run.epochs_to_target is None or best is None
                else run.epochs_to_target - best,
                diverged_epoch=run.diverged_epoch,
                final_train_loss=float(run.train_loss[-1]),
                final_train_accuracy=float(run.train_accuracy[-1]),
                final_held_out_loss=float(run.held_out_loss[-1]),
                final_held_out_accuracy=float(run.held_out_accuracy[-1]),
                tied=run.exact_arithmetic,
                unit_distance=float(np.max(last)),
            )
        )
    return tuple(outcomes)


#: Added to the verdict of a scheme with the weight scale theory recommends when no standard
#: scheme matches the activation (GELU, tanh): its "mismatch" or "partial" is the best there is
#: (``lab.diagnosis.Verdict.closest``).
CLOSEST_NOTE = " (the closest)"


def _fastest(outcomes: tuple[Outcome, ...], epochs: int) -> str:
    reached = [o for o in outcomes if o.epochs_to_target is not None]
    if not reached:
        return f"No initialization reaches the target loss within {plural(epochs, 'epoch')}."
    best = min(o.epochs_to_target for o in reached)  # type: ignore[type-var]
    first = [o.label for o in reached if o.epochs_to_target == best]
    never = [o.label for o in outcomes if o.epochs_to_target is None]
    text = f"{' and '.join(first)} reach{'es' if len(first) == 1 else ''} the target first, "
    text += f"after {best} epoch{'s' if best != 1 else ''}."
    if never:
        text += f" Never within {plural(epochs, 'epoch')}: {', '.join(never)}."
    return text


#: Most decades the loss axis spans: beyond them an exploding network's first losses (1e89 at
#: 100 layers) would press every other curve into a flat line at the bottom. The default view
#: spans 9 (1e-4 to N(0, 1)'s first loss, 4.9e4), all of it shown.
LOSS_AXIS_DECADES = 10


def loss_axis(curves: Curves, target: float) -> tuple[float, float]:
    """The loss chart's log axis: from the power of ten at or below the smallest positive loss
    (or the target) to the one at or above the largest, at least one decade and at most
    ``LOSS_AXIS_DECADES``; larger losses lie above it (``_loss_note`` names them). The top is
    the largest loss drawn, not the cap: at 30 layers N(0, 1)'s losses all lie above 1e9, and
    an axis up to 1e9 pressed every other curve into its bottom strip."""
    losses = np.concatenate([curves.train_loss.ravel(), curves.held_out_loss.ravel(), [target]])
    low, _ = decade_span(losses) or (0, 1)  # (the target is positive)
    cap = 10.0 ** (low + LOSS_AXIS_DECADES)
    _, high = decade_span(losses[losses <= cap]) or (low, low + 1)
    return 10.0**low, 10.0 ** max(high, low + 1)


def _loss_note(outcomes: tuple[Outcome, ...], curves: Curves, axis: tuple[float, float]) -> str:
    parts = [
        f"{o.label} from epoch {o.diverged_epoch}" for o in outcomes if o.diverged_epoch is not None
    ]
    notes = [f"no values once the loss overflowed: {', '.join(parts)}"] if parts else []
    above = []
    for label, train in zip(curves.labels, curves.train_loss, strict=True):
        high = np.flatnonzero(np.isfinite(train) & (train > axis[1]))
        if high.size:
            first, when = int(high[0]), "from" if high.size > 1 else "at"
            above.append(
                f"{label} {when} epoch {int(curves.epochs[first])} ({float(train[first]):.2g})"
            )
    if above:
        notes.append(f"above {axis[1]:g}, the axis's top: {', '.join(above)}")
    zero = [
        label
        for label, train, held in zip(
            curves.labels, curves.train_loss, curves.held_out_loss, strict=True
        )
        if np.any(train == 0.0) or np.any(held == 0.0)
    ]
    if zero:
        notes.append(f"a loss of exactly 0 (rounded): {', '.join(zero)}")
    text = ("Not on the log axis: " + "; ".join(notes) + ".") if notes else ""
    for group in _same_curves(curves, (curves.train_loss, curves.held_out_loss), SAME_LOSS_RTOL):
        text += f" {_names(group)} have the same loss at every epoch: one line hides the other."
    return text.strip()


def _accuracy_note(curves: Curves) -> str:
    """Which accuracy curves lie on top of each other: at every drawn epoch, or from an early
    one on (within the first ``EARLY_SHARE`` of the drawn epochs: two networks that train alike
    can still differ at initialization)."""
    parts = (curves.train_accuracy, curves.held_out_accuracy)
    early = max(1, int(EARLY_SHARE * curves.epochs.size))
    named: list[set[str]] = []
    sentences = []
    for start in range(early + 1):
        later = tuple(part[:, start:] for part in parts)
        for group in _same_curves(curves, later, atol=SAME_ACCURACY_ATOL):
            if any(set(group) <= seen for seen in named):
                continue
            named.append(set(group))
            when = "at every epoch" if start == 0 else f"from epoch {curves.epochs[start]} on"
            sentences.append(
                f"{_names(group)} have the same accuracy {when}: one line hides the other."
            )
    return " ".join(sentences)


def _symmetry_note(curves: Curves) -> str:
    """Which symmetry lines (the largest distance between two units) lie on top of each other
    at every drawn epoch: identical units stay at exactly 0, whatever the initialization."""
    sentences = []
    for group in _same_curves(curves, (curves.unit_distance,), rtol=SAME_LOSS_RTOL):
        identical = not np.any(curves.unit_distance[curves.labels.index(group[0])])
        sentences.append(
            f"{_names(group)} have the same distance at every epoch"
            + (" (0: identical units)" if identical else "")
            + ": one line hides the other."
        )
    return " ".join(sentences)


def _names(group: tuple[str, ...]) -> str:
    """("A", "B", "C") -> "A, B and C"."""
    return f"{', '.join(group[:-1])} and {group[-1]}"


#: Loss curves (log axis) that differ by less than this, relative, at every drawn epoch cannot
#: be told apart on the chart.
SAME_LOSS_RTOL = 1e-3
#: Nor can accuracy curves (0 to 1 on a 240-px plot) within this: half a pixel.
SAME_ACCURACY_ATOL = 2e-3
#: Accuracy curves that coincide from an epoch within this share of the drawn ones on are
#: named too.
EARLY_SHARE = 0.1


def _same_curves(
    curves: Curves, parts: tuple[np.ndarray, ...], rtol: float = 0.0, atol: float = 0.0
) -> list[tuple[str, ...]]:
    """Groups of initializations whose curves in every one of ``parts`` (arrays of shape
    (labels, epochs)) coincide within ``rtol`` and ``atol`` at every drawn epoch (missing
    epochs alike), in ``labels`` order. A curve with no finite value in ``parts`` (a run that
    diverged before them) draws no line, so it hides nothing and belongs to no group."""
    groups: list[list[int]] = []
    for index in range(len(curves.labels)):
        if not any(np.isfinite(part[index]).any() for part in parts):
            continue
        for group in groups:
            first = group[0]
            if all(
                np.allclose(part[index], part[first], rtol=rtol, atol=atol, equal_nan=True)
                for part in parts
            ):
                group.append(index)
                break
        else:
            groups.append([index])
    return [tuple(curves.labels[i] for i in group) for group in groups if len(group) > 1]


def curve_epochs(epochs: int) -> np.ndarray:
    """The epochs a chart draws: every one up to CURVE_POINTS, else CURVE_POINTS + 1 evenly
    spaced ones (0 and the last always among them)."""
    if epochs <= CURVE_POINTS:
        return np.arange(epochs + 1)
    return np.unique(np.round(np.linspace(0, epochs, CURVE_POINTS + 1)).astype(int))


def _curves(result: training.TrainingResult, labels: tuple[str, ...]) -> Curves:
    shown = curve_epochs(int(result.epochs[-1]))

    def stack(name: str) -> np.ndarray:
        return np.array([getattr(run, name)[shown] for run in result.runs])

    return Curves(
        epochs=shown,
        labels=labels,
        train_loss=stack("train_loss"),
        held_out_loss=stack("held_out_loss"),
        train_accuracy=stack("train_accuracy"),
        held_out_accuracy=stack("held_out_accuracy"),
        unit_distance=np.array([np.max(run.symmetry[shown], axis=1) for run in result.runs]),
    )


def gradient_layers(weight_layers: int) -> tuple[int, ...]:
    """The weight layers (1-based, the read-out last) a gradient panel draws: all of them up to
    GRADIENT_LAYERS, else GRADIENT_LAYERS evenly spaced ones with the first and the last."""
    if weight_layers <= GRADIENT_LAYERS:
        return tuple(range(1, weight_layers + 1))
    chosen = np.round(np.linspace(1, weight_layers, GRADIENT_LAYERS)).astype(int)
    return tuple(int(layer) for layer in np.unique(chosen))


def _layer_list(layers: list[int], readout: int) -> str:
    names = [("read-out" if layer == readout else str(layer)) for layer in layers]
    return ("layer " if len(names) == 1 else "layers ") + ", ".join(names)


def _gradient_panel(run: training.InitRun, label: str, epochs: np.ndarray) -> GradientPanel:
    shown = curve_epochs(int(epochs[-1]))
    readout = run.gradient_norm.shape[1]
    layers = gradient_layers(readout)
    norms = run.gradient_norm[np.ix_(shown, np.array(layers) - 1)]
    parts = []
    zero = [layer for i, layer in enumerate(layers) if np.any(norms[:, i] == 0.0)]
    always = [layer for i, layer in enumerate(layers) if np.all(norms[:, i] == 0.0)]
    if always:
        parts.append(f"exactly 0 at every epoch: {_layer_list(always, readout)}")
    sometimes = [layer for layer in zero if layer not in always]
    if sometimes:
        parts.append(f"exactly 0 at some epochs: {_layer_list(sometimes, readout)}")
    if run.diverged_epoch is not None:
        parts.append(f"no values from epoch {run.diverged_epoch} on: the loss overflowed")
    note = ("Not on the log axis: " + "; ".join(parts) + ".") if parts else ""
    for group in _overlapping_layers(norms, layers):
        note += (
            f" {_layer_list(group, readout).capitalize()} nearly coincide at every epoch "
            f"(within {PANEL_OVERLAP_SHARE:.0%} of the axis's height), so their lines read as one."
        )
    return GradientPanel(label, shown, layers, norms, note.strip())


#: Lines of a gradient panel closer than this share of its log axis's height at every epoch
#: read as one (the axis spans the decades of its norms, as ``decade_span`` rounds them). Twice
#: ``lab.axes.OVERLAP_SHARE``: a panel is 200 px high and its 1.5-px lines carry no dots, so
#: 4 px apart they still merge.
PANEL_OVERLAP_SHARE = 0.02


def _overlapping_layers(norms: np.ndarray, layers: Sequence[int]) -> list[list[int]]:
    """Runs of 3 or more consecutive layers whose positive norms (``norms``: epochs x layers)
    are drawn at the same epochs as the run's first layer's and stay within PANEL_OVERLAP_SHARE of
    the axis's height of them. N(0, 0.01²) at 30 layers: the first hidden layers' norms all sit
    near 1e-45 on an axis of 46 decades, one line."""
    span = decade_span(norms.ravel())
    if span is None:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(norms > 0.0, np.log10(norms), np.nan)
    limit = PANEL_OVERLAP_SHARE * max(span[1] - span[0], 1)
    groups: list[list[int]] = []
    start = 0
    for i in range(1, len(layers) + 1):
        if i < len(layers):
            drawn = np.isfinite(logs[:, start])
            same = np.array_equal(np.isfinite(logs[:, i]), drawn)  # drawn at the same epochs
            if (
                same
                and drawn.any()
                and np.all(np.abs(logs[drawn, i] - logs[drawn, start]) <= limit)
            ):
                continue
        if i - start >= 3:
            groups.append(list(layers[start:i]))
        start = i
    return groups


def _boundaries(
    result: training.TrainingResult, labels: tuple[str, ...]
) -> tuple[BoundaryPanel, ...]:
    if result.grid_x is None or result.grid_y is None:
        return ()
    cell_x = float(result.grid_x[1] - result.grid_x[0]) / 2.0
    cell_y = float(result.grid_y[1] - result.grid_y[0]) / 2.0
    return tuple(
        BoundaryPanel(
            label=label,
            grid_x=result.grid_x,
            grid_y=result.grid_y,
            cell_x=cell_x,
            cell_y=cell_y,
            grid_class=run.grid_class,
            grid_probability=run.grid_probability,
            final_train_accuracy=float(run.train_accuracy[-1]),
        )
        for run, label in zip(result.runs, labels, strict=True)
        if run.grid_class is not None and run.grid_probability is not None
    )


def _symmetry_line(outcome: Outcome, epochs: int, data) -> str:
    accuracy = outcome.final_train_accuracy
    if outcome.diverged_epoch is not None:
        return (
            f"{outcome.label}: the loss overflowed at epoch {outcome.diverged_epoch}; before "
            f"that the largest distance between two units was {outcome.unit_distance:.3g}."
        )
    if outcome.tied and outcome.unit_distance == 0.0:
        return (
            f"{outcome.label}: every hidden layer's units start identical and are still exactly "
            f"identical after {epochs} epochs (largest distance 0), so each layer works like a "
            f"single unit: training accuracy {accuracy:.1%}, chance "
            f"{data.chance_accuracy:.1%}."
        )
    if outcome.tied:
        return (
            f"{outcome.label}: some units start identical; after {epochs} epochs the largest "
            f"distance between two units is {outcome.unit_distance:.3g}."
        )
    return (
        f"{outcome.label}: the units differ from the start (largest distance "
        f"{outcome.unit_distance:.3g} after {epochs} epochs); training accuracy "
        f"{accuracy:.1%}."
    )


def scheme_label(scheme: str, params: Mapping[str, object] | None = None) -> str:
    """The name of ``scheme`` with ``params`` in the page's tables and legends."""
    return _label(scheme, dict(params or {}))
