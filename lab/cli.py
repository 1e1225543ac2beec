"""The engine's command line: ``python -m lab init ...``, ``python -m lab simulate ...`` and
``python -m lab train ...``.

Every number printed comes from ``lab.initializers``, ``lab.network``, ``lab.theory`` and
``lab.health`` and ``lab.diagnosis``. Errors print one line on stderr and exit with code 2,
never a traceback.
The JSON fields are documented in the README ("Command line"); those of ``train`` in
``lab.training``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import NoReturn

from lab import __version__, health, training
from lab.controls.core import PageControls, cli_type, to_cli_flag
from lab.controls.network import INIT_GROUP, NETWORK_GROUP, init_params
from lab.datasets import DEFAULT_SAMPLES
from lab.diagnosis import advise, diagnose_prediction, match_verdict, width_caveat
from lab.initializers import SCHEME_NAMES, get_initializer
from lab.network import NetworkConfig, fit_samples, simulate
from lab.signal import diagnose_forward, mean_field_phase
from lab.text import plural
from lab.theory import predict

EXIT_USAGE = 2
#: ``simulate`` takes the network's declared controls: the same names, ranges and rules as the
#: pages' URLs (lab.controls.network).
SIMULATE_CONTROLS = PageControls("simulate", "", NETWORK_GROUP)
#: The schemes' own parameters (gain, slope, mode, std, bound, value), as declared.
SCHEME_PARAMETER_CONTROLS = INIT_GROUP[1:]


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
    group = init.add_argument_group("scheme parameters (only for the schemes that take them)")
    for control in SCHEME_PARAMETER_CONTROLS:
        _add_control(group, control, default=None)
    init.add_argument("--json", action="store_true", help="print JSON")

    sim = commands.add_parser(
        "simulate",
        help="per-layer Monte-Carlo table with theory",
        description="The Signal propagation page's network, with the same names and limits.",
    )
    sim._sub = "simulate"
    for control in SIMULATE_CONTROLS.controls:
        _add_control(sim, control, default=None)
    sim.add_argument("--json", action="store_true", help="print JSON")
    _add_train(commands)
    return parser


def _add_train(commands) -> None:
    """``train``: the training experiment's options, defaults from lab.training.TrainingConfig."""
    defaults = training.TrainingConfig()
    train = commands.add_parser(
        "train",
        help="train the same network from each initialization",
        description="Train an MLP from each initialization and print its curves.",
    )
    train._sub = "train"
    default_inits = ",".join(name for name, _ in defaults.inits)
    rates = ", ".join(f"{r:g} for {name}" for name, r in training.DEFAULT_LEARNING_RATE.items())
    samples = ", ".join(f"{count} for {name}" for name, count in DEFAULT_SAMPLES.items())
    options = (
        ("--dataset", str, defaults.dataset, "spirals, circles, xor, blobs or digits"),
        ("--inits", str, default_inits, "comma-separated initialization names"),
        ("--activation", str, defaults.activation, "the hidden layers' activation"),
        ("--leaky-slope", float, defaults.leaky_slope, "leaky_relu's negative slope"),
        ("--layers", int, defaults.layers, "hidden layers"),
        ("--width", int, defaults.width, "units per hidden layer"),
        ("--epochs", int, defaults.epochs, "passes over the training part"),
        ("--optimizer", str, defaults.optimizer, "sgd (with momentum) or adam"),
        ("--learning-rate", float, None, f"step size (default {rates})"),
        ("--batch-size", int, defaults.batch_size, "minibatch size"),
        ("--samples", int, None, f"points in the data set (default {samples})"),
        ("--seed", int, defaults.seed, "fixes the data, the order and the weights"),
    )
    for flag, kind, default, text in options:
        shown = "" if default is None else f" (default {default})"
        train.add_argument(flag, type=kind, default=default, help=text + shown, metavar="VALUE")
    train.add_argument("--json", action="store_true", help="print JSON")


def _names(names: Sequence[str]) -> str:
    return "one of " + ", ".join(names)


def _add_control(parser, control, *, default: object) -> None:
    """One option from a declared control: same name (``--input-std``), parsing and range."""
    conditions = " and ".join(f"{other}={'|'.join(options)}" for other, options in control.when)
    parser.add_argument(
        to_cli_flag(control.name),
        dest=control.name,
        type=cli_type(control),
        default=default,
        metavar=control.name.upper(),
        help=f"{control.help} Allowed: {control.allowed()}; "
        f"default {control.format(control.default)}"
        + (f" (only when {conditions})" if control.when else ""),
    )


def _given(args: argparse.Namespace, names: Sequence[str]) -> dict[str, object]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


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


def simulate_report(config: NetworkConfig, budget_note: str = "") -> dict:
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
    flat = result.pre.frac_flat
    for index, row in enumerate(rows):
        # one saturation for every output: the health model's, not the fixed |z| > 2
        del row["pre_frac_saturated"]
        row["saturated"] = None if flat is None else _finite(flat[index])
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
    scales = {"input_std": config.input_std, "bias_std": config.bias_std, "depth": config.depth}
    verdict = match_verdict(
        config.init, config.activation, params, config.slope, config.width, **scales
    )
    advice = advise(config.activation, config.slope, **scales)
    threshold = health.flat_threshold(config.activation_function())
    theory_health = (
        diagnose_prediction(theory, config.activation_function(), config.slope)
        if theory.applicable
        else None
    )
    caveat = width_caveat(verdict, diagnosis, theory_health, config.width)
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
        "budget_note": budget_note,
        "layers": rows,
        "overflow": result.overflow_message,
        "backward_overflow": result.backward_overflow_message,
        "diagnosis": {
            "state": diagnosis.state,
            "problem": diagnosis.problem,
            "first_bad_layer": diagnosis.first_bad_layer,
            "message": diagnosis.message,
            "signal_ratio": _finite(diagnosis.signal_ratio),
            "signal_rate": _optional(diagnosis.signal_rate),
            "spread_ratio": _finite(diagnosis.spread_ratio),
            "gradient_ratio": _optional(diagnosis.gradient_ratio),
            "gradient_rate": _optional(diagnosis.gradient_rate),
            "gradient_state": diagnosis.gradient_state,
            "gradient_source": diagnosis.gradient_source,
            "saturated_share": _optional(diagnosis.saturated_share),
            "saturated_layer": diagnosis.saturated_layer,
            "thresholds": {
                "vanishing_ratio": health.VANISHING_RATIO,
                "exploding_ratio": health.EXPLODING_RATIO,
                "rate_depth": health.RATE_DEPTH,
                "vanishing_rate": health.VANISHING_RATE,
                "exploding_rate": health.EXPLODING_RATE,
                "dead_fraction": health.DEAD_FRACTION,
                "saturation_slope": health.SATURATION_SLOPE,
                "saturated_share": health.SATURATED_SHARE,
                "flat_threshold": threshold,
            },
        },
        "theory": {"applicable": theory.applicable, "reason": theory.reason, **(phase or {})},
        "verdict": {
            "label": verdict.label,
            "matches": verdict.matches,
            "reason": verdict.reason,
            "caveat": caveat,
        },
        "recommended_init": {
            "init": advice.recommended.init,
            "params": dict(advice.recommended.params),
            "matches": advice.matched,
            "reason": advice.reason,
            "forward_sw2": _finite(advice.forward_sw2),
            "critical_sw2": _finite(advice.critical_sw2),
            "critical_q_star": _finite(advice.critical_q),
            "critical_reached": advice.critical_reached,
            "schemes": [
                {
                    "init": fit.init,
                    "params": dict(fit.params),
                    "name": fit.name,
                    "sw2": fit.sw2,
                    "forward_gain": _finite(fit.forward_gain),
                    "q_star": _finite(fit.q_star),
                    "chi1": _finite(fit.chi1),
                    "depth_chi1": _finite(fit.depth_chi1),
                    "stays_far": fit.stays_far,
                    "saturated": _optional(fit.saturated),
                    "gradient_ratio": _finite(fit.gradient_ratio),
                    "chi1_ok": fit.chi1_ok,
                    "outcome_state": None if fit.outcome is None else fit.outcome.state,
                    "label": fit.label,
                }
                for fit in advice.fits
            ],
        },
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _optional(value: float | None) -> float | None:
    return None if value is None else _finite(value)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _print_simulation(report: dict) -> None:
    config = report["config"]
    print(
        f"{config['init']} + {config['activation']}: {plural(config['layers'], 'layer')} x "
        f"{plural(config['width'], 'unit')}, {plural(config['samples'], 'sample')}, "
        f"input std {config['input_std']:g}"
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
    for key in ("budget_note", "overflow", "backward_overflow"):
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
    if verdict["caveat"]:
        print(verdict["caveat"])


# --- train ----------------------------------------------------------------------------------


def _train(args: argparse.Namespace) -> dict:
    """The report of ``lab.training.run`` for the parsed options."""
    inits = tuple(part.strip() for part in args.inits.split(",") if part.strip())
    config = training.TrainingConfig(
        dataset=args.dataset,
        inits=inits,
        activation=args.activation,
        leaky_slope=args.leaky_slope,
        layers=args.layers,
        width=args.width,
        epochs=args.epochs,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        samples=args.samples,
        seed=args.seed,
    )
    return training.report(training.run(config))


def _print_training(report: dict) -> None:
    config, data = report["config"], report["dataset"]
    print(
        f"{data['label']}: {plural(data['train_samples'], 'training point')} and "
        f"{plural(data['held_out_samples'], 'held-out point')}; {config['layers']} x "
        f"{config['width']} {config['activation']}, {config['optimizer']} lr "
        f"{config['learning_rate']:g}, {plural(config['epochs'], 'epoch')}"
    )
    if report["budget_note"]:
        print(report["budget_note"])
    header = ("init", "train loss", "train acc", "held-out acc", "to target", "symmetry")
    print("  ".join(f"{h:>14}" for h in header))
    for run in report["runs"]:
        last = run["symmetry"][-1]
        finite = [v for v in last if v is not None]
        cells = (
            run["init"],
            _fmt(run["final_train_loss"]),
            _fmt(run["final_train_accuracy"]),
            _fmt(run["final_held_out_accuracy"]),
            "never" if run["epochs_to_target"] is None else str(run["epochs_to_target"]),
            _fmt(max(finite)) if finite else "-",
        )
        print("  ".join(f"{c:>14}" for c in cells))
        if run["diverged_epoch"] is not None:
            print(
                f"  {run['init']}: the loss stopped being finite at epoch {run['diverged_epoch']}"
            )
    print(f"target loss {config['target_loss']:.4g}; symmetry: largest distance between units")


# --- entry point ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            report, printer = _train(args), _print_training
        elif args.command == "init":
            names = [control.name for control in SCHEME_PARAMETER_CONTROLS]
            report = init_report(args.scheme, args.fan_in, args.fan_out, **_given(args, names))
            printer = _print_init
        else:
            given = _given(args, SIMULATE_CONTROLS.names)
            SIMULATE_CONTROLS.query(given)  # refuses a parameter the chosen scheme does not take
            values = SIMULATE_CONTROLS.defaults() | given
            config, scaled = fit_samples(
                NetworkConfig(
                    init=str(values["init"]),
                    init_params=tuple(sorted(init_params(values))),
                    activation=str(values["activation"]),
                    slope=float(values["leaky_slope"]),
                    layers=int(values["layers"]),
                    width=int(values["width"]),
                    samples=int(values["samples"]),
                    input_std=float(values["input_std"]),
                    bias_std=float(values["bias_std"]),
                    seed=int(values["seed"]),
                )
            )
            report = simulate_report(config, scaled.note)
            printer = _print_simulation
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        printer(report)
    return 0
