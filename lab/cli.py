"""The engine's command line: ``python -m lab init ...`` and ``python -m lab simulate ...``.

Every number printed comes from ``lab.initializers``, ``lab.network``, ``lab.theory`` and
``lab.diagnosis``. Errors print one line on stderr and exit with code 2, never a traceback.
The JSON fields are documented in the README ("Command line").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import NoReturn

from lab import __version__
from lab.activations import ACTIVATION_NAMES
from lab.diagnosis import match_verdict, recommended_init
from lab.initializers import SCHEME_NAMES, get_initializer
from lab.network import NetworkConfig, simulate
from lab.signal import diagnose_forward, mean_field_phase
from lab.theory import predict

EXIT_USAGE = 2
PARAMETER_FLAGS = ("gain", "slope", "mode", "std", "value", "bound")


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2) instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see: python -m lab {self._sub} --help)\n")

    _sub = ""


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m lab`` argument parser with its two subcommands."""
    parser = _OneLineParser(prog="python -m lab", description="Weight Initialization Lab engine")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    init = commands.add_parser("init", help="variance, std and bound of one scheme")
    init._sub = "init"
    init.add_argument("scheme", choices=SCHEME_NAMES, metavar="SCHEME", help=_names(SCHEME_NAMES))
    init.add_argument("--fan-in", type=int, required=True)
    init.add_argument("--fan-out", type=int, required=True)
    _add_scheme_parameters(init)
    init.add_argument("--json", action="store_true", help="print JSON")

    sim = commands.add_parser("simulate", help="per-layer Monte-Carlo table with theory")
    sim._sub = "simulate"
    sim.add_argument("--init", default="he_normal", choices=SCHEME_NAMES, metavar="SCHEME")
    sim.add_argument("--activation", default="relu", choices=ACTIVATION_NAMES, metavar="ACT")
    sim.add_argument("--layers", type=int, default=10)
    sim.add_argument("--width", type=int, default=256)
    sim.add_argument("--samples", type=int, default=1000)
    sim.add_argument("--input-std", type=float, default=1.0)
    sim.add_argument("--bias-std", type=float, default=0.0)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--leaky-slope", type=float, default=0.01, help="leaky_relu slope")
    _add_scheme_parameters(sim)
    sim.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _names(names: Sequence[str]) -> str:
    return "one of " + ", ".join(names)


def _add_scheme_parameters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scheme parameters (only for the schemes that take them)")
    group.add_argument("--gain", type=float, help="xavier_*, orthogonal")
    group.add_argument("--slope", type=float, help="he_normal/he_uniform: leaky-ReLU slope a")
    group.add_argument("--mode", choices=("fan_in", "fan_out", "fan_avg"), help="he_*")
    group.add_argument("--std", type=float, help="normal")
    group.add_argument("--value", type=float, help="constant")
    group.add_argument("--bound", type=float, help="uniform")


def _scheme_params(args: argparse.Namespace) -> dict[str, float | str]:
    return {
        name: getattr(args, name) for name in PARAMETER_FLAGS if getattr(args, name) is not None
    }


# --- init -----------------------------------------------------------------------------------


def init_report(scheme: str, fan_in: int, fan_out: int, **params: float | str) -> dict:
    """The JSON-able summary of one scheme at (fan_in, fan_out)."""
    init = get_initializer(scheme, **params)
    support = init.support(fan_in, fan_out)
    return {
        "scheme": init.name,
        "label": init.label,
        "params": params,
        "fan_in": fan_in,
        "fan_out": fan_out,
        "distribution": init.distribution,
        "mode": init.mode,
        "scale": init.scale,
        "mean": init.mean(fan_in, fan_out),
        "variance": init.variance(fan_in, fan_out),
        "std": init.std(fan_in, fan_out),
        "bound": init.bound(fan_in, fan_out),
        "support": list(support) if support is not None else None,
        "source": init.source,
    }


def _print_init(report: dict) -> None:
    print(f"{report['label']}  (fan_in={report['fan_in']}, fan_out={report['fan_out']})")
    for key in ("mean", "variance", "std", "bound"):
        value = report[key]
        print(f"  {key:<9}{'-' if value is None else f'{value:.6g}'}")
    if report["source"]:
        print(f"  source   {report['source']}")


# --- simulate -------------------------------------------------------------------------------


def simulate_report(config: NetworkConfig) -> dict:
    """The JSON-able per-layer table, theory prediction and diagnosis of one simulation."""
    result = simulate(config)
    params = dict(config.init_params)
    theory = predict(
        config.init,
        config.activation,
        config.depth,
        config.width,
        input_std=config.input_std,
        bias_std=config.bias_std,
        init_params=params,
        slope=config.slope,
    )
    diagnosis = diagnose_forward(result)
    rows = result.rows()
    for index, row in enumerate(rows):
        row["state"] = diagnosis.layer_states[index]
        row["theory_pre_std"] = _finite(theory.pre_std[index]) if theory.applicable else None
        row["theory_post_std"] = _finite(theory.post_std[index]) if theory.applicable else None
    mean_field = mean_field_phase(
        config.init,
        config.activation,
        config.width,
        config.bias_std,
        init_params=params,
        slope=config.slope,
    )
    phase = None
    if mean_field.applicable:
        phase = {
            "chi1": _finite(mean_field.chi1),
            "phase": mean_field.phase,
            "depth_scale": _finite(mean_field.depth_scale),
        }
    verdict = match_verdict(config.init, config.activation, params, config.slope, config.width)
    recommendation = recommended_init(config.activation, config.slope)
    return {
        "config": {
            "init": config.init,
            "init_params": params,
            "activation": config.activation,
            "layers": config.depth,
            "width": config.width,
            "samples": config.samples,
            "input_std": config.input_std,
            "bias_std": config.bias_std,
            "seed": config.seed,
            "dtype": config.dtype,
        },
        "layers": rows,
        "overflow": result.overflow_message,
        "backward_overflow": result.backward_overflow_message,
        "diagnosis": {
            "state": diagnosis.state,
            "first_bad_layer": diagnosis.first_bad_layer,
            "message": diagnosis.message,
        },
        "theory": {"applicable": theory.applicable, "reason": theory.reason, **(phase or {})},
        "verdict": {"label": verdict.label, "matches": verdict.matches, "reason": verdict.reason},
        "recommended_init": {
            "init": recommendation.init,
            "params": dict(recommendation.params),
            "reason": recommendation.reason,
        },
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _print_simulation(report: dict) -> None:
    config = report["config"]
    print(
        f"{config['init']} + {config['activation']}: {config['layers']} layers x "
        f"{config['width']} units, {config['samples']} samples, input std {config['input_std']:g}"
    )
    header = ("layer", "pre std", "post std", "grad std", "state", "theory pre", "theory post")
    print("  ".join(f"{h:>11}" for h in header))
    for row in report["layers"]:
        cells = (
            str(row["layer"]),
            _fmt(row["pre_std"]),
            _fmt(row["post_std"]),
            _fmt(row["grad_post_std"]),
            row["state"],
            _fmt(row["theory_pre_std"]),
            _fmt(row["theory_post_std"]),
        )
        print("  ".join(f"{c:>11}" for c in cells))
    for key in ("overflow", "backward_overflow"):
        if report[key]:
            print(report[key])
    print(f"diagnosis: {report['diagnosis']['message']}")
    theory = report["theory"]
    if not theory["applicable"]:
        print(f"theory: {theory['reason']}")
    elif "phase" in theory:
        print(f"theory: {theory['phase']} phase, chi1 = {_fmt(theory['chi1'])}")
    verdict = report["verdict"]
    print(f"verdict: {verdict['label']}: {verdict['reason']}")


# --- entry point ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "init":
            report = init_report(args.scheme, args.fan_in, args.fan_out, **_scheme_params(args))
            printer = _print_init
        else:
            params = tuple(sorted(_scheme_params(args).items()))
            get_initializer(args.init, **dict(params))  # reject foreign parameters early
            config = NetworkConfig(
                init=args.init,
                init_params=params,
                activation=args.activation,
                slope=args.leaky_slope,
                layers=args.layers,
                width=args.width,
                samples=args.samples,
                input_std=args.input_std,
                bias_std=args.bias_std,
                seed=args.seed,
            )
            report = simulate_report(config)
            printer = _print_simulation
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        printer(report)
    return 0
