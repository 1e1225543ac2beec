"""The engine's command line: output values, JSON fields and one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_init_json_he_512(capsys):
    report = run_json(capsys, "init", "he_normal", "--fan-in", "512", "--fan-out", "256")
    assert report["variance"] == 2 / 512
    assert report["std"] == pytest.approx(0.0625)
    assert report["bound"] is None
    assert report["mode"] == "fan_in"


def test_init_json_xavier_uniform_bound(capsys):
    report = run_json(capsys, "init", "xavier_uniform", "--fan-in", "1024", "--fan-out", "512")
    assert report["bound"] == pytest.approx(0.0625)
    assert report["support"] == pytest.approx([-0.0625, 0.0625])


def test_init_parameters_reach_the_scheme(capsys):
    report = run_json(
        capsys, "init", "he_uniform", "--fan-in", "100", "--fan-out", "1", "--slope", "0.2"
    )
    assert report["variance"] == pytest.approx(2 / (1.04 * 100))
    assert report["params"] == {"slope": 0.2}


def test_init_text_output(capsys):
    assert main(["init", "he_uniform", "--fan-in", "1024", "--fan-out", "1"]) == 0
    out = capsys.readouterr().out
    assert "He/Kaiming uniform" in out
    assert "0.0765466" in out


def test_simulate_json_fields(capsys):
    report = run_json(
        capsys,
        "simulate",
        "--init", "xavier_normal", "--activation", "relu", "--layers", "12",
        "--width", "256", "--samples", "500", "--seed", "1",
    )  # fmt: skip
    assert set(report) >= {"config", "layers", "overflow", "diagnosis", "theory", "verdict"}
    assert len(report["layers"]) == 12
    last = report["layers"][-1]
    assert set(last) >= {"layer", "pre_std", "post_std", "grad_post_std", "state"}
    # Theory: pre-activation std 2^-5.5 at layer 12 (reference.md).
    assert last["theory_pre_std"] == pytest.approx(2**-5.5, rel=1e-9)
    # Monte Carlo at width 256 scatters by +-15% (reference.md).
    assert last["pre_std"] == pytest.approx(2**-5.5, rel=0.25)
    assert report["diagnosis"]["state"] == "vanishing"
    assert report["verdict"]["label"] == "mismatch"
    assert report["verdict"]["caveat"] == ""  # theory predicts this vanishing signal too
    assert report["recommended_init"]["init"] == "he_normal"
    assert report["overflow"] is None


def test_simulate_says_why_a_match_sits_beside_a_dead_narrow_network(capsys):
    narrow = "--init", "he_normal", "--activation", "relu", "--layers", "50", "--seed", "0"
    report = run_json(capsys, "simulate", *narrow, "--width", "2")
    assert report["diagnosis"]["state"] == "dead"
    assert report["verdict"]["label"] == "match"
    assert "with 2 units per layer this simulation is dead" in report["verdict"]["caveat"]
    assert main(["simulate", *narrow, "--width", "2"]) == 0
    assert "with 2 units per layer this simulation is dead" in capsys.readouterr().out
    wide = run_json(capsys, "simulate", *narrow, "--width", "128")
    assert wide["diagnosis"]["state"] == "healthy"
    assert wide["verdict"]["caveat"] == ""


def test_simulate_overflow_is_a_result(capsys):
    report = run_json(
        capsys, "simulate", "--init", "large_random", "--layers", "50", "--width", "512",
        "--samples", "100",
    )  # fmt: skip
    assert report["overflow"].startswith("overflow: inf/NaN at layer ")
    layer = int(report["overflow"].rsplit(" ", 1)[1])
    assert report["diagnosis"]["state"] == "overflow"
    assert report["diagnosis"]["first_bad_layer"] == layer
    assert report["layers"][-1]["post_std"] is None  # JSON has no NaN: null instead
    assert report["theory"]["phase"] == "chaotic"


def test_simulate_text_output(capsys):
    assert main(["simulate", "--layers", "3", "--width", "64", "--samples", "100"]) == 0
    out = capsys.readouterr().out
    assert "he_normal + relu: 3 layers x 64 units" in out
    assert "diagnosis: healthy" in out


def test_one_layer_one_sample_and_one_epoch_are_named_in_the_singular(capsys):
    assert main(["simulate", "--layers", "1", "--width", "16", "--samples", "1"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "he_normal + relu: 1 layer x 16 units, 1 sample, input std 1"
    argv = ["train", "--inits", "he_normal", "--epochs", "1", "--samples", "20", "--layers", "1"]
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(", 1 epoch")
    assert "15 training points and 5 held-out points; 1 x 32 relu" in first


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--layers", "0"], "layers must be an integer in [1, 100]; got 0"),
        (["simulate", "--input-std", "nan"], "input_std must be a finite number"),
        (["simulate", "--init", "kaiming"], "init must be one of zeros,"),
        (["simulate", "--std", "0.5"], "std applies only when init is normal; got init=he_normal"),
        (["init", "he_normal", "--fan-in", "x", "--fan-out", "1"], "invalid int value: 'x'"),
        (["init", "he_normal", "--fan-in", "0", "--fan-out", "1"], "fan_in must be an integer"),
        (
            ["init", "xavier_normal", "--fan-in", "3", "--fan-out", "3", "--slope", "1"],
            "takes gain",
        ),
        ([], "the following arguments are required"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        code = main(argv)
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_module_entry_point_runs_without_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "lab", "simulate", "--layers", "-3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "error: argument --layers: layers must be an integer in [1, 100]; got -3 "
        "(see: python -m lab simulate --help)"
    )


def test_json_has_no_nan_tokens(capsys):
    assert main(["simulate", "--init", "zeros", "--layers", "3", "--width", "8", "--json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text and "Infinity" not in text
    report = json.loads(text)
    assert report["diagnosis"]["state"] == "dead"
    assert all(
        row["post_std"] is None or math.isfinite(row["post_std"]) for row in report["layers"]
    )


def test_simulate_takes_every_declared_network_control_by_its_url_name():
    from lab.controls.network import NETWORK_GROUP

    parser_help = subprocess.run(
        [sys.executable, "-m", "lab", "simulate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    for control in NETWORK_GROUP:
        assert "--" + control.name.replace("_", "-") in parser_help


def test_simulate_over_the_budget_runs_with_fewer_samples_and_says_so(capsys):
    argv = ["simulate", "--layers", "60", "--width", "256", "--samples", "10000", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    used = report["config"]["samples"]
    assert 1 <= used < 10_000
    assert report["budget_note"] == (
        f"60 layers × 256 units: {used:,} samples instead of 10,000, to stay within the lab's "
        "budget."
    )


def test_simulate_gives_each_schemes_chi1_over_the_depth(capsys):
    """GELU started at input std 1000 stays far from q* = 0: He's chi1 there is 0.5, its average
    over the 30 layers about 1, and the verdict a match that the JSON explains."""
    argv = "--init", "he_normal", "--activation", "gelu", "--layers", "30", "--width", "64"
    report = run_json(capsys, "simulate", *argv, "--input-std", "1000", "--samples", "50")
    schemes = {s["init"]: s for s in report["recommended_init"]["schemes"] if not s["params"]}
    he = schemes["he_normal"]
    assert he["chi1"] == pytest.approx(0.5) and he["depth_chi1"] == pytest.approx(1.0, abs=0.01)
    assert he["stays_far"] is True and report["verdict"]["label"] == "match"
    near = run_json(capsys, "simulate", *argv, "--samples", "50")["recommended_init"]["schemes"]
    assert not any(s["stays_far"] for s in near)


def test_simulate_says_why_a_chi1_within_the_tolerance_is_not_a_match(capsys):
    """LeCun + SELU over 100 layers: chi1 = 1.07 passes, but the mean-field gradient reaching
    layer 1 is 31 times the output's, so the label is partial; the JSON gives both, and the
    health model's state of each scheme's mean-field network."""
    argv = "--init", "lecun_normal", "--activation", "selu", "--layers", "100", "--width", "64"
    report = run_json(capsys, "simulate", *argv, "--samples", "50")
    lecun = next(s for s in report["recommended_init"]["schemes"] if s["init"] == "lecun_normal")
    assert lecun["chi1_ok"] is True and lecun["label"] == "partial"
    assert lecun["gradient_ratio"] == pytest.approx(31, rel=0.05)
    assert lecun["outcome_state"] == "exploding"
    assert report["verdict"]["label"] == "partial"
