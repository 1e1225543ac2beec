"""Training benchmark: prints measured times against the budget (never a pass/fail test).

    python -m benchmarks.training                  # every section below
    python -m benchmarks.training --quick          # one repeat, fewer cases
    python -m benchmarks.training --only extremes  # one section (budget, extremes, phase, model)
    python -m benchmarks.training --calibrate      # also refit the cost model (~300 runs)

What it prints, each against its target (lab.training.BUDGET_SECONDS):
1. five initializations x 200 epochs of the default network on every 2-D set (target < 3 s)
   and on the digits (target < 15 s): these must not be scaled down;
2. extreme requests inside the Training page's declared ranges (lab.controls.training: the
   most points, layers, units, initializations and epochs, the smallest and largest batches,
   Adam, the costliest activations, tied starts): after the budget scaled them down, their
   measured time over the budget should stay at most 1;
3. the phase-diagram helpers: the default trainability grid (lab.phase) and a phase diagram;
4. for a spread of networks, measured seconds over the cost model's prediction
   (``lab.training.estimated_seconds``; the budget scales requests by the prediction). With
   --calibrate, the per-element seconds of every activation (``PHI_SECONDS``,
   ``DERIVATIVE_SECONDS``) and ``SECONDS_PER``, fitted to those measurements and raised so
   that the prediction covers the measured time of nearly all of them.

Times are CPU seconds of this process (``time.process_time``, the smallest of the repeats) and
wall seconds; run it with OPENBLAS_NUM_THREADS=1, as scripts/test.sh does, to measure one core.
On a busy machine the wall time exceeds the CPU time; the CPU time is what one core spends.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from scipy import optimize

from lab import phase, training
from lab.activations import ACTIVATION_NAMES, get_activation
from lab.controls.training import CONTROLS
from lab.datasets import PLANAR, make_dataset
from lab.training import BUDGET_SECONDS, TrainingConfig

#: Schemes of the spread: none of them overflows at depth, so every run trains every epoch.
SPREAD_INITS = (
    "he_normal",
    "xavier_uniform",
    "orthogonal",
    "lecun_normal",
    "glorot_truncated_normal",
    "small_random",
)
#: Eight distinct schemes, the most the trainer takes at once, two of them tied (zeros,
#: constant: the per-unit products).
EIGHT_INITS = (
    "zeros",
    "constant",
    "he_normal",
    "xavier_normal",
    "orthogonal",
    "he_truncated_normal",
    "lecun_uniform",
    "small_random",
)
#: A measured time over the budget above this is measured again (the smallest counts).
REMEASURE = 0.8


def measure(func: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(smallest CPU seconds, smallest wall seconds) of ``func`` over ``repeats`` calls."""
    cpu, wall = math.inf, math.inf
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        func()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall


def _line(name: str, config: TrainingConfig, repeats: int) -> float:
    """Run ``config`` (through its budget), print its time over the budget; the ratio."""
    fitted, note = training.fit_budget(config)
    budget = BUDGET_SECONDS[config.dataset]
    cpu, wall = measure(lambda: training.run(config), repeats)
    if cpu / budget > REMEASURE and repeats < 3:
        cpu2, wall2 = measure(lambda: training.run(config), 3 - repeats)
        cpu, wall = min(cpu, cpu2), min(wall, wall2)
    predicted = training.estimated_seconds(fitted)
    print(
        f"   {name:34s} {cpu:6.2f} s CPU {wall:6.2f} s wall  budget {budget:4.1f} s  "
        f"ratio {cpu / budget:4.2f}  predicted {predicted:5.2f} s  "
        f"measured/predicted {cpu / predicted:4.2f}" + (f"\n      [{note}]" if note else ""),
        flush=True,
    )
    return cpu / budget


def budget_cases(repeats: int) -> None:
    print("1. five initializations x 200 epochs, default network (CPU s / wall s / budget)")
    make_dataset("digits")  # load scikit-learn's digits once, outside the timings
    for name in (*PLANAR, "digits"):
        _line(name, TrainingConfig(dataset=name), repeats)


def extreme_requests(quick: bool) -> dict[str, TrainingConfig]:
    """Requests at the corners of the Training page's declared ranges (before the budget).
    A tiny learning rate keeps every run finite: a diverged run stops early and costs less."""
    high = {name: CONTROLS[name].high for name in ("samples", "layers", "width", "epochs")}
    low_batch, high_batch = CONTROLS["batch_size"].low, CONTROLS["batch_size"].high
    largest = {
        "layers": high["layers"],
        "width": high["width"],
        "epochs": high["epochs"],
        "inits": EIGHT_INITS,
        "learning_rate": 1e-4,
    }
    planar = {"dataset": "spirals", "samples": high["samples"]}
    cases = {
        "widest deepest, Adam, GELU, batch 16": {
            **planar,
            **largest,
            "optimizer": "adam",
            "activation": "gelu",
            "batch_size": low_batch,
        },
        "widest deepest, SGD, ReLU, batch 1024": {
            **planar,
            **largest,
            "batch_size": high_batch,
        },
        "1 x 2 units, batch 16": {
            **planar,
            **largest,
            "layers": 1,
            "width": 2,
            "batch_size": low_batch,
        },
        "1 x 2 units, batch 1024, Adam, SELU": {
            **planar,
            **largest,
            "layers": 1,
            "width": 2,
            "batch_size": high_batch,
            "optimizer": "adam",
            "activation": "selu",
        },
        "100 x 2 units, batch 16, SELU": {
            **planar,
            **largest,
            "width": 2,
            "batch_size": low_batch,
            "activation": "selu",
        },
        "8 x 32, 10,000 points, Adam, GELU": {
            **planar,
            "epochs": high["epochs"],
            "optimizer": "adam",
            "activation": "gelu",
            "inits": EIGHT_INITS,
            "batch_size": low_batch,
            "learning_rate": 1e-4,
        },
        "digits widest deepest, Adam, GELU": {
            **largest,
            "dataset": "digits",
            "optimizer": "adam",
            "activation": "gelu",
            "batch_size": low_batch,
        },
        "digits 1 x 2 units, batch 16": {
            **largest,
            "dataset": "digits",
            "layers": 1,
            "width": 2,
            "batch_size": low_batch,
        },
    }
    if not quick:
        cases |= {
            "widest deepest, tied only, tanh": {
                **planar,
                **largest,
                "inits": ("zeros", "constant"),
                "activation": "tanh",
                "batch_size": low_batch,
            },
            "20 x 64, 10,000 points, leaky ReLU": {
                **planar,
                **largest,
                "layers": 20,
                "width": 64,
                "activation": "leaky_relu",
                "batch_size": 64,
            },
            "widest deepest, 1 init, sigmoid": {
                **planar,
                **largest,
                "inits": ("he_normal",),
                "activation": "sigmoid",
                "batch_size": 128,
            },
            "blobs 4 x 128, batch 16, Adam": {
                **planar,
                **largest,
                "dataset": "blobs",
                "layers": 4,
                "optimizer": "adam",
                "batch_size": low_batch,
            },
            "digits 8 x 128, Adam, GELU, batch 16": {
                **largest,
                "dataset": "digits",
                "layers": 8,
                "optimizer": "adam",
                "activation": "gelu",
                "batch_size": low_batch,
            },
            "digits deepest, tied, batch 1024": {
                **largest,
                "dataset": "digits",
                "inits": ("zeros", "constant", "he_normal"),
                "batch_size": high_batch,
            },
        }
    return {name: TrainingConfig(**values) for name, values in cases.items()}


def extreme_cases(quick: bool) -> None:
    print("2. extreme requests after the budget (CPU s / wall s / budget: ratio at most 1)")
    ratios = [_line(name, config, 1) for name, config in extreme_requests(quick).items()]
    print(f"   largest ratio {max(ratios):.2f}")


def phase_cases(repeats: int) -> None:
    print("3. phase-diagram helpers (CPU s / wall s)")
    cpu, wall = measure(lambda: phase.trainability(), repeats)
    print(f"   trainability grid (default)   {cpu:6.2f} s CPU {wall:6.2f} s wall")
    grid = (np.linspace(0.5, 4.0, 36), (0.0, 0.05, 0.1, 0.3))
    cpu, wall = measure(lambda: phase.phase_diagram("tanh", *grid), repeats)
    print(f"   phase diagram 36 x 4 (tanh)   {cpu:6.2f} s CPU {wall:6.2f} s wall")


@contextmanager
def unlimited_budget() -> Iterator[None]:
    """Within the block every request runs as asked (the spread measures the cost model)."""
    saved = dict(BUDGET_SECONDS)
    BUDGET_SECONDS.update(dict.fromkeys(saved, 1e9))
    try:
        yield
    finally:
        BUDGET_SECONDS.update(saved)


def spread(count: int) -> list[TrainingConfig]:
    """Networks of many shapes, each with the epochs the cost model predicts to take about
    half a second (a small learning rate, so that none diverges and stops); one in four is
    deep and wide (32 to 100 layers of 64 to 128 units: the parameter passes, the draws and
    the decision grid weigh most there)."""
    rng = np.random.default_rng(1)
    configs = []
    while len(configs) < count:
        dataset = str(rng.choice(["spirals", "blobs", "digits"]))
        inits = tuple(rng.choice(SPREAD_INITS, size=int(rng.integers(1, 4)), replace=False))
        if rng.uniform() < 0.25:
            inits = (str(rng.choice(["zeros", "constant"])), *inits[1:])
        if rng.uniform() < 0.25:
            shape = {
                "width": int(rng.choice([64, 96, 128])),
                "layers": int(rng.choice([32, 64, 100])),
                "samples": int(rng.choice([100, 200, 500, 1000])),
                "batch_size": int(rng.choice([16, 32, 64, 1024])),
                "inits": inits[:2],
            }
        else:
            shape = {
                "width": int(rng.choice([2, 4, 8, 16, 32, 64, 128])),
                "layers": int(rng.choice([1, 2, 4, 8, 16, 32, 64, 100])),
                "samples": int(rng.choice([100, 300, 1000, 3000, 10_000])),
                "batch_size": int(rng.choice([16, 32, 64, 128, 512, 1024])),
                "inits": inits,
            }
        if dataset == "digits":
            shape["samples"] = min(shape["samples"], 1797)
        config = TrainingConfig(
            dataset=dataset,
            activation=str(rng.choice(ACTIVATION_NAMES)),
            optimizer=str(rng.choice(["sgd", "adam"])),
            learning_rate=1e-4,
            epochs=1,
            **shape,
        )
        with unlimited_budget():
            one = training.estimated_seconds(config)
            per_epoch = training.estimated_seconds(replace(config, epochs=2)) - one
        if one > 1.5:
            continue
        epochs = int(np.clip(1 + (0.5 - one) / per_epoch, 1, 1000))
        configs.append(replace(config, epochs=epochs))
    return configs


def _repeat(func: Callable[[int], object], argument: int, times: int) -> None:
    for _ in range(times):
        func(argument)


def activation_constants(repeats: int) -> None:
    """Seconds of phi and of phi' (the trainer's ``_derivative``, given phi's output) per call
    and per element of an array in the cache and of a larger one: from arrays of 16, 2,048
    and 65,536 elements (``lab.training.CACHED_ELEMENTS``)."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in ((4, 4), (16, 128), (512, 128))]
    found: dict[str, dict[str, tuple[float, ...]]] = {
        "PHI_SECONDS": {},
        "DERIVATIVE_SECONDS": {},
    }
    for name in ACTIVATION_NAMES:
        act = get_activation(name)
        outputs = [act.function(z) for z in arrays]
        for key, func in (
            ("PHI_SECONDS", lambda index, act=act: act.function(arrays[index])),
            (
                "DERIVATIVE_SECONDS",
                lambda index, act=act, outputs=outputs: training._derivative(
                    act, arrays[index], outputs[index]
                ),
            ),
        ):
            small, cached, large = (
                measure(lambda i=i, func=func: _repeat(func, i, 50), repeats)[0] / 50
                for i in range(3)
            )
            found[key][name] = tuple(
                max(0.0, value)
                for value in (
                    small,
                    (cached - small) / arrays[1].size,
                    (large - small) / arrays[2].size,
                )
            )
    for key, values in found.items():
        print(f"   {key}:")
        for name, (call, cached, large) in values.items():
            seconds = f"{call * 1e6:.2g}e-6, {cached * 1e9:.2g}e-9, {large * 1e9:.2g}e-9"
            print(f'       "{name}": ({seconds}),')


def model_check(calibrate: bool, quick: bool) -> None:
    print("4. cost model: measured CPU s over predicted s per network")
    if calibrate:
        activation_constants(3)
    configs = spread(240 if calibrate else 30 if quick else 60)
    make_dataset("digits")
    measured, features = [], []
    with unlimited_budget():
        for config in configs:
            cpu, _ = measure(lambda config=config: training.run(config), 2 if calibrate else 1)
            measured.append(cpu)
            work = training.cost_features(config)
            features.append([float(np.sum(work[name])) for name in training.SECONDS_PER])
    seconds, matrix = np.array(measured), np.array(features)
    predicted = matrix @ np.array(list(training.SECONDS_PER.values()))
    ratio = seconds / predicted
    quantiles = np.quantile(ratio, [0.0, 0.1, 0.5, 0.9, 1.0])
    print("   ratio quantiles (0, 10, 50, 90, 100 %): " + ", ".join(f"{q:.2f}" for q in quantiles))
    worst = np.argsort(ratio)[-3:]
    for index in worst[::-1]:
        print(f"   {ratio[index]:.2f}: {configs[index]}")
    if not calibrate:
        return
    # Non-negative least squares on the relative error, then raised so that the prediction
    # covers 97.5 % of the measured times.
    coef, _ = optimize.nnls(matrix / seconds[:, None], np.ones(len(seconds)))
    ratio = seconds / (matrix @ coef)
    coef *= float(np.quantile(ratio, 0.975))
    ratio = seconds / (matrix @ coef)
    print(
        "   fitted ratio quantiles (0, 10, 50, 90, 100 %): "
        + ", ".join(f"{q:.2f}" for q in np.quantile(ratio, [0.0, 0.1, 0.5, 0.9, 1.0]))
    )
    print("   fitted SECONDS_PER (97.5 % of the measured times at most the prediction):")
    for name, value in zip(training.SECONDS_PER, coef, strict=True):
        print(f'       "{name}": {value:.3g},')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, fewer cases")
    parser.add_argument("--calibrate", action="store_true", help="fit the cost model")
    parser.add_argument("--only", choices=("budget", "extremes", "phase", "model"))
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    if args.only in (None, "budget"):
        budget_cases(repeats)
    if args.only in (None, "extremes"):
        extreme_cases(args.quick)
    if args.only in (None, "phase"):
        phase_cases(repeats)
    if args.only in (None, "model"):
        model_check(args.calibrate, args.quick)


if __name__ == "__main__":
    main()
