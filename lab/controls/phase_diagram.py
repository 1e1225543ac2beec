"""Phase diagram's controls: the activation, the quantity of the heatmap, the point of your own
(Xavier normal with gain g and bias std, the names Signal propagation uses) and the
trainability grid's steps and seed.

``activation`` offers the smooth activations the correlation map covers
(``lab.phase.PHASE_ACTIVATIONS``). ``gain`` stops at ``MAX_PHASE_GAIN``: the point
(g², bias_std²) must lie inside the plotted plane (``lab.experiments.phase_diagram``).
"""

from __future__ import annotations

from dataclasses import replace

from lab.controls.core import ChoiceControl, IntControl, PageControls
from lab.controls.network import ACTIVATION, ACTIVATION_LABELS, BIAS_STD, GAIN, SEED
from lab.phase import MAX_TRAINABILITY_STEPS, PHASE_ACTIVATIONS, TRAINABILITY_STEPS

#: Largest gain offered: sigma_w^2 = g^2 = 4.84 stays inside the plotted plane (sigma_w^2 <= 5).
MAX_PHASE_GAIN = 2.2
#: Heatmap quantities: URL value -> label.
HEATMAPS: dict[str, str] = {"chi1": "χ₁ (gradient factor per layer)", "xi": "depth scale ξ"}

PHASE_ACTIVATION = replace(
    ACTIVATION,
    default="tanh",
    options=tuple((name, ACTIVATION_LABELS[name]) for name in PHASE_ACTIVATIONS),
    help="The smooth activations whose correlation map the mean-field theory computes.",
)
HEATMAP = ChoiceControl(
    name="heatmap",
    label="Heatmap",
    default="chi1",
    options=tuple(HEATMAPS.items()),
    widget="segmented",
    help="χ₁ multiplies the gradient variance at every layer; ξ counts the layers over which "
    "two inputs' correlation settles (infinite on the edge of chaos).",
)
POINT_GAIN = replace(
    GAIN,
    label="Your point: gain g (σ_w² = g²)",
    default=1.2,
    high=MAX_PHASE_GAIN,
    when=(),
    help="Xavier normal with gain g gives n Var(W) = g² on square layers. The point opens in "
    "Signal propagation with the same gain.",
)
POINT_BIAS_STD = replace(
    BIAS_STD,
    label="Bias std (σ_b² = std²)",
    help="Biases N(0, std²) for every point drawn: the schemes and yours.",
)
STEPS = IntControl(
    name="steps",
    label="Training steps per network",
    default=TRAINABILITY_STEPS,
    low=1,
    high=MAX_TRAINABILITY_STEPS,
    widget="number",
    help="Minibatch steps of every network of the trainability grid. A large request may run "
    "fewer; the page says so.",
)
TRAINABILITY_SEED = replace(SEED, help="Seed of the trainability grid's data and weights.")

#: The sidebar's groups, by URL name.
DIAGRAM_NAMES: tuple[str, ...] = (PHASE_ACTIVATION.name, HEATMAP.name)
POINT_NAMES: tuple[str, ...] = (POINT_GAIN.name, POINT_BIAS_STD.name)
TRAINABILITY_NAMES: tuple[str, ...] = (STEPS.name, TRAINABILITY_SEED.name)

CONTROLS = PageControls(
    "phase_diagram",
    "phase-diagram",
    (PHASE_ACTIVATION, HEATMAP, POINT_GAIN, POINT_BIAS_STD, STEPS, TRAINABILITY_SEED),
)
