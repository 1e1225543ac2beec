"""Engine benchmark: prints ratios measured in one run (never a pass/fail test).

    python -m benchmarks.engine            # full sizes
    python -m benchmarks.engine --quick    # smaller sizes, for a smoke run

What it prints, each figure against its target where it has one. Sections 1 and 2 run as the
app's server runs them, with numpy's BLAS on one thread (``pages.ui.blas``), and again with
numpy's default threads when it has more (for comparison: the lab does not run that way).

1. forward + backward, 30 layers x width 512 x 2,000 samples (float32): ``lab.network.simulate``
   time over the time of the same 90 matrix products alone (target <= 1.25);
2. the same simulation in plain PyTorch on the CPU when torch is importable (target: faster),
   with torch's own thread count and, when numpy's BLAS has another, with that one too (torch's
   OpenMP threads wait passively, ``OMP_WAIT_POLICY=PASSIVE`` unless set, so that they do not
   spin on the cores of the rounds that follow);
3. every simulation page's experiment at its default settings (each view of Forward pass), the
   one engine call a page makes: no target, as the server computes these once, at its start
   (``pages.ui.startup``), before a student's first view, and a page shows a progress message
   while other settings compute (a figure for comparing engine changes);
4. the mean-field prediction for 1,000 layers for every activation: no target, as pages and
   quizzes compute it with a result or a question, never on every run;
5. peak traced memory of the simulation (tracemalloc) and the process's peak RSS;
6. the budget's unit (one float32 multiply-add of a matrix product on one core), the cost of a
   random draw, of an orthogonal draw's QR and of the statistics in that unit, next to the
   constants ``lab.network`` prices requests with (``DRAW_COSTS``, ``QR_COST``,
   ``STATISTICS_COST``), and ``lab.budget.MAX_MULTIPLY_ADDS`` in seconds of one core.
7. section 1's simulation while another process keeps one core busy, as other sessions do on
   a class's server: on numpy's default BLAS threads over on one thread (the reason the app's
   server runs one, ``pages.ui.blas``).

Times are the median of several repeats after a warm-up, measured in this process, so the
ratios compare like with like on whatever machine runs it. Sections 1 and 2 take turns (engine,
products, torch, engine, ...) so that a shared machine's load falls on all of them alike, and
print the ratios of the fastest repeats (the least disturbed) next to those of the medians, with
the BLAS threads and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np

from lab import budget, network
from lab.activations import ACTIVATION_NAMES
from lab.initializers import get_initializer
from lab.network import NetworkConfig, sample_weights, simulate
from lab.theory import predict
from pages.ui.blas import SERVER_BLAS_THREADS


def median_seconds(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func`` over ``repeats`` calls, after one warm-up call."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_seconds(
    funcs: dict[str, Callable[[], object]], repeats: int
) -> dict[str, list[float]]:
    """Wall times of each of ``funcs`` over ``repeats`` rounds, one call of each per round in
    turn, after one warm-up call of each."""
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return times


def blas_threads() -> tuple[str, int | None]:
    """The BLAS libraries' thread counts (threadpoolctl) as text, and numpy's BLAS threads (the
    most any BLAS library has), or a note that they are unknown and None."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl is not importable)", None
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    text = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools)
    return text or "unknown", max((p["num_threads"] for p in pools), default=None)


def with_torch_threads(run: Callable[[], None], threads: int) -> Callable[[], None]:
    """``run`` with PyTorch limited to ``threads`` intra-op threads (restored after)."""
    torch = importlib.import_module("torch")

    def limited() -> None:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            run()
        finally:
            torch.set_num_threads(before)

    return limited


def matrix_products_only(config: NetworkConfig) -> Callable[[], None]:
    """The forward and backward matrix products of ``config``'s network, nothing else."""
    rng = np.random.default_rng(0)
    dtype = np.dtype(config.dtype)
    widths = (config.input_features, *config.layer_widths)
    x = rng.standard_normal((config.samples, widths[0])).astype(dtype)
    weights = [
        (rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype)
        for a, b in zip(widths[:-1], widths[1:], strict=True)
    ]
    grad_out = rng.standard_normal((config.samples, widths[-1])).astype(dtype)

    def run() -> None:
        activations = [x]
        for w in weights:
            activations.append(activations[-1] @ w)
        grad = grad_out
        for layer in range(len(weights) - 1, -1, -1):
            _ = activations[layer].T @ grad  # dL/dW
            grad = grad @ weights[layer].T  # dL/da of the layer below

    return run


def torch_simulation(config: NetworkConfig) -> Callable[[], None] | None:
    """A plain PyTorch CPU forward + backward of the same ReLU network, or None."""
    # torch's OpenMP threads otherwise spin for a while after each call, on the cores the next
    # round (the engine's, in turn) needs: measured 2.06 x the products instead of 1.73, with
    # torch itself as fast either way. Read once, when torch loads its OpenMP runtime.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    widths = (config.input_features, *config.layer_widths)

    def run() -> None:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(config.samples, widths[0], generator=generator)
        weights = [
            (torch.randn(a, b, generator=generator) * (2.0 / a) ** 0.5).requires_grad_()
            for a, b in zip(widths[:-1], widths[1:], strict=True)
        ]
        a = x
        stds = []
        for w in weights:
            z = a @ w
            a = torch.relu(z)
            stds.append(z.detach().std())
        a.backward(torch.randn_like(a))
        _ = [w.grad.std() for w in weights]

    return run


def experiment_timings(repeats: int) -> list[tuple[str, float]]:
    """Median time of each page's ``run(config)`` at its declared defaults."""
    from lab.controls.registry import SIMULATION_PAGES

    rows = []
    for page, controls in SIMULATION_PAGES.items():
        experiment = importlib.import_module(f"lab.experiments.{page}")
        variants = [{}]
        if "view" in controls.names:
            variants = [{"view": view} for view in controls["view"].values]
        for choice in variants:
            config = experiment.config_from_values(controls.defaults() | choice)
            name = page + (f" ({choice['view']})" if choice else "")
            run = partial(experiment.run, config)
            rows.append((name, median_seconds(run, repeats)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    samples = 500 if args.quick else 2000
    config = NetworkConfig(
        init="he_normal", activation="relu", layers=30, width=512, samples=samples
    )

    _, numpy_threads = blas_threads()
    setups = [(f"as the app's server runs it ({SERVER_BLAS_THREADS} BLAS thread)", 1)]
    if numpy_threads is not None and numpy_threads != SERVER_BLAS_THREADS:
        setups.append((f"numpy's default ({numpy_threads} BLAS threads), not the lab's", 0))
    for title, limited in setups:
        print(f"== {title}")
        with blas_limit(SERVER_BLAS_THREADS if limited else None):
            products_and_torch(config, samples, repeats)

    print("3. each page's experiment at its default settings (no target: computed once, at the")
    print("   server's start, before any first view)")
    for name, seconds in experiment_timings(repeats):
        print(f"   {name:<36}{seconds * 1e3:8.1f} ms")

    print("4. mean-field prediction, 1,000 layers (no target: computed with a result)")
    for activation in ACTIVATION_NAMES:
        init = "he_normal" if activation in ("relu", "leaky_relu", "gelu") else "xavier_normal"

        def theory(activation: str = activation, init: str = init) -> object:
            return predict(init, activation, 1000, 256)

        print(f"   {activation:<12}{init:<15}{median_seconds(theory, repeats) * 1e3:8.2f} ms")

    print("5. memory")
    tracemalloc.start()
    simulate(config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   peak traced memory of one simulation {peak / 2**20:8.1f} MiB")
    print(f"   peak resident set size of this process {rss_mb:8.1f} MiB")

    print("6. the budget's unit and priced costs, one BLAS thread (lab.network.DRAW_COSTS)")
    cost_units(repeats)

    threads = numpy_threads or 1
    print(f"7. section 1's network with one core kept busy by another process: {threads} BLAS "
          f"threads against {SERVER_BLAS_THREADS} (why the app's server runs one)")  # fmt: skip
    busy = busy_core_seconds(config, threads, repeats)
    if isinstance(busy, str):
        print(f"   {busy}: skipped")
    else:
        one, many = (statistics.median(busy[count]) for count in (1, threads))
        rounds = ", ".join(f"{b / a:.2f}" for a, b in zip(busy[1], busy[threads], strict=True))
        print(f"   median {SERVER_BLAS_THREADS} thread {one * 1e3:8.1f} ms   {threads} threads "
              f"{many * 1e3:8.1f} ms   ratio {many / one:.2f}; each round's: {rounds}")  # fmt: skip


def blas_limit(threads: int | None) -> contextlib.AbstractContextManager:
    """BLAS limited to ``threads`` inside the block (threadpoolctl), or nothing with None."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def products_and_torch(config: NetworkConfig, samples: int, repeats: int) -> None:
    """Sections 1 and 2 with the BLAS threads in force."""
    print(f"1. forward + backward, 30 layers x 512 units x {samples} samples, float32")
    blas_text, blas_count = blas_threads()
    print(f"   BLAS threads: {blas_text}; load average before: {load_average()}")
    funcs = {"engine": lambda: simulate(config), "products": matrix_products_only(config)}
    torch_run = torch_simulation(config)
    torch_threads = None
    if torch_run is not None:
        funcs["torch"] = torch_run
        torch_threads = importlib.import_module("torch").get_num_threads()
        if blas_count is not None and blas_count != torch_threads:  # also with numpy's threads
            funcs["torch, BLAS threads"] = with_torch_threads(torch_run, blas_count)
    times = interleaved_seconds(funcs, repeats)
    for label, pick in (("fastest", min), ("median", statistics.median)):
        chosen = {name: pick(values) for name, values in times.items()}
        engine, products = chosen["engine"], chosen["products"]
        print(f"   {label:<8} engine {engine * 1e3:8.1f} ms   matrix products "
              f"{products * 1e3:8.1f} ms   ratio engine / products = {engine / products:.2f}"
              "   (target <= 1.25)")  # fmt: skip

    print("2. plain PyTorch CPU, same network (timed in turn with section 1)")
    if torch_run is None:
        print("   torch is not importable here: skipped")
    else:
        runs = [("torch", torch_threads)]
        if "torch, BLAS threads" in times:
            runs.append(("torch, BLAS threads", blas_count))
        for name, threads in runs:
            print(f"   torch with {threads} thread{'s' if threads != 1 else ''}")
            for label, pick in (("fastest", min), ("median", statistics.median)):
                engine, torch_time = pick(times["engine"]), pick(times[name])
                print(f"   {label:<8} torch {torch_time * 1e3:8.1f} ms   ratio engine / torch = "
                      f"{engine / torch_time:.2f}   (target < 1)")  # fmt: skip
    print(f"   load average after: {load_average()}")


def busy_core_seconds(
    config: NetworkConfig, threads: int, repeats: int
) -> dict[int, list[float]] | str:
    """Section 7: ``simulate(config)`` on one BLAS thread and on ``threads``, in turn, while
    another process keeps one core busy (as another session or process does on a class's
    server); wall seconds per thread count, or why not run."""
    if (os.cpu_count() or 1) < 2 or threads < 2:
        return "needs two cores and a BLAS library with two threads or more"
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        times: dict[int, list[float]] = {1: [], threads: []}
        for count in (1, threads):  # warm-up
            with blas_limit(count):
                simulate(config)
        for _ in range(repeats):
            for count in (1, threads):
                with blas_limit(count):
                    start = time.perf_counter()
                    simulate(config)
                    times[count].append(time.perf_counter() - start)
        return times
    finally:
        busy.kill()
        busy.wait()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or "unknown"."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def cost_units(repeats: int) -> None:
    """Section 6: measure the budget's unit and the priced costs with one BLAS thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("   threadpoolctl is not importable: skipped")
        return
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        x = rng.standard_normal((2000, 512)).astype(np.float32)
        w = rng.standard_normal((512, 512)).astype(np.float32)
        unit = median_seconds(lambda: x @ w, repeats) / (2000 * 512 * 512)
        limit = budget.MAX_MULTIPLY_ADDS
        print(f"   one multiply-add {unit * 1e9:.4f} ns; MAX_MULTIPLY_ADDS = "
              f"{limit:.2g} is {limit * unit:.2f} s of one core")  # fmt: skip
        n = 512
        for init, distribution in (
            ("he_normal", "normal"),
            ("he_uniform", "uniform"),
            ("he_truncated_normal", "truncated_normal"),
            ("orthogonal", "orthogonal"),
        ):
            initializer = get_initializer(init)

            def draw(initializer=initializer) -> object:
                return sample_weights(initializer, rng, n, n)

            measured = median_seconds(draw, repeats) / unit
            priced = network.draw_cost(distribution, n, n)
            print(f"   draw {n}x{n} {distribution:<17} measured {measured / n**2:8.0f} "
                  f"priced {priced / n**2:8.0f} multiply-adds per weight")  # fmt: skip
        config = NetworkConfig(init="he_uniform", layers=20, width=n, samples=1)
        whole = median_seconds(lambda: simulate(config), repeats) / unit
        print(f"   simulate 20 x {n}, 1 sample: measured {whole:.3g}, priced "
              f"{network.network_cost(config).multiply_adds:.3g} multiply-adds")  # fmt: skip


if __name__ == "__main__":
    main()
