"""Small classification data sets for the training experiments, with a held-out split.

Four 2-D sets are generated in code from a seed (two classes unless stated):

- ``spirals``: two interleaved spirals (Lang & Witbrock 1988's benchmark, here with
  ``SPIRAL_TURNS`` turns): a point of class k at parameter t = sqrt(u) * turns * 2 pi,
  u ~ U(0, 1), sits at radius t / (turns * 2 pi) and angle t + k pi, plus N(0, noise^2) jitter;
- ``circles``: a circle of radius 1 (class 0) around one of radius ``CIRCLE_FACTOR`` (class 1),
  plus jitter (as scikit-learn's ``make_circles``);
- ``xor``: points uniform in the quadrants of [-1, 1]^2 where x * y > 0 (class 1) or < 0
  (class 0), then jittered;
- ``blobs``: ``BLOB_CLASSES`` Gaussian blobs of std ``noise`` centred on the unit circle.

``digits`` is the handwritten-digits set that scikit-learn ships inside its package
(``sklearn.datasets.load_digits``: 1,797 images of 8 x 8 pixels with values 0..16, ten classes;
Alpaydin & Kaynak 1998, UCI). Nothing is downloaded.

Every set is shuffled with the seed, split into a training part and a held-out part of
``held_out`` of the points (at least one of each), and standardized with the training part's
per-feature mean and std (a feature with std 0, such as an always-blank pixel, is only centred),
so the inputs have the unit variance the initialization schemes assume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from lab.validation import check_choice, check_float, check_int

#: Name -> label of every data set.
DATASETS: dict[str, str] = {
    "spirals": "Two spirals",
    "circles": "Concentric circles",
    "xor": "XOR",
    "blobs": "Gaussian blobs",
    "digits": "Handwritten digits (8×8)",
}
DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)
#: The generated 2-D sets (the others have more features and no decision-boundary grid).
PLANAR: tuple[str, ...] = ("spirals", "circles", "xor", "blobs")

SPIRAL_TURNS = 1.5
CIRCLE_FACTOR = 0.5
BLOB_CLASSES = 3
#: Default jitter std of each generated set (in the units of the unit-radius construction).
DEFAULT_NOISE: dict[str, float] = {"spirals": 0.05, "circles": 0.1, "xor": 0.05, "blobs": 0.35}
#: Number of images in scikit-learn's digits set.
DIGITS_SAMPLES = 1797
DEFAULT_SAMPLES: dict[str, int] = {
    "spirals": 400,
    "circles": 400,
    "xor": 400,
    "blobs": 400,
    "digits": DIGITS_SAMPLES,
}
MIN_SAMPLES = 20
MAX_SAMPLES = 10_000
MAX_NOISE = 2.0
DEFAULT_HELD_OUT = 0.25
MIN_HELD_OUT = 0.05
MAX_HELD_OUT = 0.5


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set split into training and held-out parts.

    x_train: (n_train, features) standardized inputs; y_train: (n_train,) integer labels in
    0..classes-1; x_test, y_test: the held-out part, standardized with the training part's
    mean and std. planar: a generated 2-D set (the page draws its points and a decision grid).
    """

    name: str
    label: str
    classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    planar: bool
    source: str

    @property
    def features(self) -> int:
        """Number of input features (2 for the generated sets, 64 for the digits)."""
        return int(self.x_train.shape[1])

    @property
    def chance_loss(self) -> float:
        """Cross-entropy of the best constant prediction (the training class frequencies) on
        the training part: what a network that ignores its input reaches at best."""
        counts = np.bincount(self.y_train, minlength=self.classes)
        shares = counts[counts > 0] / counts.sum()
        return float(-np.sum(shares * np.log(shares)))

    @property
    def chance_accuracy(self) -> float:
        """Training accuracy of always predicting the most frequent training class."""
        counts = np.bincount(self.y_train, minlength=self.classes)
        return float(counts.max() / counts.sum())


def check_samples(dataset: str, samples: int) -> int:
    """``samples`` if it is allowed for ``dataset`` (digits: at most 1,797), else ValueError."""
    check_choice("dataset", dataset, DATASET_NAMES)
    high = DIGITS_SAMPLES if dataset == "digits" else MAX_SAMPLES
    return check_int("samples", samples, MIN_SAMPLES, high)


def make_dataset(
    name: str,
    *,
    samples: int | None = None,
    noise: float | None = None,
    held_out: float = DEFAULT_HELD_OUT,
    seed: int = 0,
) -> Dataset:
    """Build data set ``name`` with ``samples`` points in all (default ``DEFAULT_SAMPLES``),
    jitter std ``noise`` (generated sets; default ``DEFAULT_NOISE``), a held-out share
    ``held_out`` and the seed ``seed`` (it draws the points and the split)."""
    check_choice("dataset", name, DATASET_NAMES)
    samples = check_samples(name, DEFAULT_SAMPLES[name] if samples is None else samples)
    held_out = check_float("held_out", held_out, MIN_HELD_OUT, MAX_HELD_OUT)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    if name == "digits":
        if noise is not None:
            raise ValueError("noise applies to the generated 2-D sets only; got noise for digits")
        points, labels = _digits()
        classes, planar = 10, False
        source = "scikit-learn load_digits (UCI optical digits, Alpaydin & Kaynak 1998)"
    else:
        noise = DEFAULT_NOISE[name] if noise is None else noise
        noise = check_float("noise", noise, 0.0, MAX_NOISE)
        rng = np.random.default_rng(np.random.SeedSequence([seed, DATASET_NAMES.index(name)]))
        points, labels = _GENERATORS[name](rng, samples, noise)
        classes, planar = (BLOB_CLASSES if name == "blobs" else 2), True
        source = "generated from the seed"
    split_rng = np.random.default_rng(np.random.SeedSequence([seed, len(DATASET_NAMES)]))
    order = split_rng.permutation(len(labels))[:samples]
    test_count = min(max(1, round(held_out * samples)), samples - 1)
    test, train = order[:test_count], order[test_count:]
    x_train, x_test = _standardize(points[train], points[test])
    return Dataset(
        name=name,
        label=DATASETS[name],
        classes=classes,
        x_train=x_train,
        y_train=labels[train].astype(np.int64),
        x_test=x_test,
        y_test=labels[test].astype(np.int64),
        planar=planar,
        source=source,
    )


def _standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both parts with the training part's per-feature mean removed and std divided out."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0.0, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def _balanced_labels(samples: int, classes: int) -> np.ndarray:
    """Labels 0, 1, ..., classes-1 repeated: class sizes differ by at most one."""
    return np.arange(samples) % classes


def _spirals(rng: np.random.Generator, samples: int, noise: float):
    labels = _balanced_labels(samples, 2)
    span = SPIRAL_TURNS * 2.0 * math.pi
    t = np.sqrt(rng.uniform(0.0, 1.0, samples)) * span
    angle = t + math.pi * labels
    radius = t / span
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return points + rng.normal(0.0, noise, (samples, 2)), labels


def _circles(rng: np.random.Generator, samples: int, noise: float):
    labels = _balanced_labels(samples, 2)
    angle = rng.uniform(0.0, 2.0 * math.pi, samples)
    radius = np.where(labels == 0, 1.0, CIRCLE_FACTOR)
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return points + rng.normal(0.0, noise, (samples, 2)), labels


def _xor(rng: np.random.Generator, samples: int, noise: float):
    labels = _balanced_labels(samples, 2)
    first = rng.choice([-1.0, 1.0], samples)
    second = np.where(labels == 1, first, -first)
    points = rng.uniform(0.0, 1.0, (samples, 2)) * np.column_stack([first, second])
    return points + rng.normal(0.0, noise, (samples, 2)), labels


def _blobs(rng: np.random.Generator, samples: int, noise: float):
    labels = _balanced_labels(samples, BLOB_CLASSES)
    angles = math.pi / 2.0 + 2.0 * math.pi * np.arange(BLOB_CLASSES) / BLOB_CLASSES
    centres = np.column_stack([np.cos(angles), np.sin(angles)])
    return centres[labels] + rng.normal(0.0, noise, (samples, 2)), labels


_GENERATORS = {"spirals": _spirals, "circles": _circles, "xor": _xor, "blobs": _blobs}


@cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # imported on first use: it takes about a second

    data = load_digits()
    points = np.asarray(data.data, dtype=np.float64)
    labels = np.asarray(data.target, dtype=np.int64)
    points.flags.writeable = False
    labels.flags.writeable = False
    return points, labels


def _digits() -> tuple[np.ndarray, np.ndarray]:
    return _digits_arrays()
