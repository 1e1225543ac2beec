"""Training benchmark: prints measured times against the budget (never a pass/fail test).

    python -m benchmarks.training               # the budget cases and the cost model
    python -m benchmarks.training --quick       # fewer repeats
    python -m benchmarks.training --calibrate   # also fit lab.training.SECONDS_PER

What it prints, each against its target (lab.training.BUDGET_SECONDS):
1. five initializations x 200 epochs of the default network on every 2-D set (target < 3 s);
2. the same on the digits (target < 15 s);
3. the phase-diagram helpers: the default trainability grid (lab.phase) and a phase diagram;
4. for a spread of networks, measured seconds over the cost model's prediction
   (``lab.training.estimated_seconds``; the budget scales requests by the prediction).

Times are CPU seconds of this process (``time.process_time``) and wall seconds; run it with
OPENBLAS_NUM_THREADS=1, as scripts/test.sh does, to measure one core. On a busy machine the
wall time exceeds the CPU time; the CPU time is what one core spends.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy import optimize

from lab import phase, training
from lab.datasets import PLANAR, make_dataset
from lab.training import BUDGET_SECONDS, TrainingConfig


def measure(func: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(smallest CPU seconds, smallest wall seconds) of ``func`` over ``repeats`` calls."""
    cpu, wall = math.inf, math.inf
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        func()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall


def budget_cases(repeats: int) -> None:
    print("1-2. five initializations x 200 epochs, default network (CPU s / wall s / budget)")
    for name in (*PLANAR, "digits"):
        config = TrainingConfig(dataset=name)
        fitted, note = training.fit_budget(config)
        cpu, wall = measure(lambda config=config: training.run(config), repeats)
        budget = BUDGET_SECONDS[name]
        print(
            f"   {name:8s} {cpu:6.2f} s CPU {wall:6.2f} s wall  budget {budget:5.1f} s  "
            f"ratio {cpu / budget:4.2f}  predicted {training.estimated_seconds(config):5.2f} s"
            + (f"  [{note}]" if note else "")
        )


def phase_cases(repeats: int) -> None:
    print("3. phase-diagram helpers (CPU s / wall s)")
    cpu, wall = measure(lambda: phase.trainability(), repeats)
    print(f"   trainability grid (default)   {cpu:6.2f} s CPU {wall:6.2f} s wall")
    grid = (np.linspace(0.5, 4.0, 36), (0.0, 0.05, 0.1, 0.3))
    cpu, wall = measure(lambda: phase.phase_diagram("tanh", *grid), repeats)
    print(f"   phase diagram 36 x 4 (tanh)   {cpu:6.2f} s CPU {wall:6.2f} s wall")


def spread() -> list[TrainingConfig]:
    """Networks of many shapes (a small learning rate, so that none diverges and stops)."""
    rng = np.random.default_rng(1)
    configs = []
    while len(configs) < 60:
        dataset = str(rng.choice(["spirals", "blobs", "digits"]))
        width = int(rng.choice([8, 16, 32, 64, 128, 256, 512, 1024]))
        layers = int(rng.choice([1, 2, 4, 8, 16, 32]))
        samples = int(rng.choice([200, 400, 1000]))
        if width * width * (layers - 1) > training.MAX_PARAMETERS // 2:
            continue
        config = TrainingConfig(
            dataset=dataset,
            width=width,
            layers=layers,
            samples=samples,
            batch_size=int(rng.choice([8, 32, 64, 128, 512])),
            inits=("zeros",) if rng.uniform() < 0.3 else ("he_normal",),
            activation=str(rng.choice(["tanh", "relu", "gelu", "sigmoid", "linear"])),
            learning_rate=0.001,
            epochs=4,
        )
        if training.training_cost(replace(config, epochs=1)).peak_bytes > 50 * 2**20:
            continue
        if training.estimated_seconds(config) > 2.0:
            continue
        configs.append(config)
    return configs


def model_check(calibrate: bool) -> None:
    print("4. cost model: measured CPU s over predicted s per network")
    configs = spread()
    make_dataset("digits")  # load scikit-learn's digits once, outside the timings
    measured, features = [], []
    for config in configs:
        cpu, _ = measure(lambda config=config: training.run(config), 2)
        measured.append(cpu)
        work = training.cost_features(config)
        features.append([float(np.sum(work[name])) for name in training.SECONDS_PER])
    seconds, matrix = np.array(measured), np.array(features)
    predicted = matrix @ np.array(list(training.SECONDS_PER.values()))
    ratio = seconds / np.where(predicted > 0, predicted, np.nan)
    quantiles = np.nanquantile(ratio, [0.0, 0.1, 0.5, 0.9, 1.0])
    print("   ratio quantiles (0, 10, 50, 90, 100 %): " + ", ".join(f"{q:.2f}" for q in quantiles))
    if not calibrate:
        return

    # Least squares on the log of the time, positive coefficients.
    def residuals(log_coef: np.ndarray) -> np.ndarray:
        return np.log(matrix @ np.exp(log_coef)) - np.log(seconds)

    start = np.log(np.array([3e-11, 1.5e-10, 2e-9, 1.0, 1.5e-5, 2e-9, 2e-10]))
    fit = optimize.least_squares(residuals, start)
    coef = np.exp(fit.x)
    ratio = seconds / (matrix @ coef)
    # Scale so that three networks in four take at most the prediction.
    coef *= float(np.quantile(ratio, 0.75))
    print("   fitted SECONDS_PER (75 % of measured times below the prediction):")
    for name, value in zip(training.SECONDS_PER, coef, strict=True):
        print(f'       "{name}": {value:.3g},')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat per case")
    parser.add_argument("--calibrate", action="store_true", help="fit the cost model")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    budget_cases(repeats)
    phase_cases(repeats)
    model_check(args.calibrate)


if __name__ == "__main__":
    main()
