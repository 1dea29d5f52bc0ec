"""Tests of the planning commands of the command line: plan, backtest, design."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chinchilla_laws import HOFFMANN_2022_TEX, ChinchillaLaw
from chinchilla_laws.cli import main
from chinchilla_laws.datasets import synthetic_sweep
from chinchilla_laws.io import save_runs
from chinchilla_laws.planning import backtest, design_isoflop, inference_optimal

FAST = ["--starts", "random:60"]


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out)
    return out


def run_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    return captured.err


@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "sweep.csv"
    save_runs(synthetic_sweep(noise=0.005, rng=3), path)
    return path


# ---------------------------------------------------------------------- plan
def test_plan_json_matches_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["plan", "--loss", "2.05", "--inference-tokens", "2e12"])
    assert out["command"] == "plan"
    (row,) = out["plans"]
    ref = inference_optimal(HOFFMANN_2022_TEX, 2.05, 2e12)
    assert row["n_params"] == ref.n_params[0]
    assert row["n_tokens"] == ref.n_tokens[0]
    assert row["saving_fraction"] == ref.saving_fraction[0]
    assert out["law"]["name"] == HOFFMANN_2022_TEX.name


def test_plan_params_pairs_every_loss_with_every_demand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sardana et al.'s example through a law file: 13B, 0 and 2T tokens served."""
    law_file = tmp_path / "law.json"
    law_file.write_text(
        json.dumps({"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.336, "beta": 0.283})
    )
    out = run_json(
        capsys,
        [
            "plan",
            "--params",
            "13e9",
            "7e9",
            "--inference-tokens",
            "0",
            "2e12",
            "--law",
            str(law_file),
        ],
    )
    assert len(out["plans"]) == 4
    first, second = out["plans"][0], out["plans"][1]
    assert first["inference_tokens"] == 0.0 and first["saving"] == 0.0
    assert first["n_params"] == pytest.approx(13e9, rel=1e-12)
    assert second["n_params"] == pytest.approx(6.97e9, rel=1e-3)
    assert second["saving_fraction"] == pytest.approx(0.174, abs=5e-4)
    law = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)
    assert out["plans"][2]["loss"] == pytest.approx(law.optimal_for_params(7e9).loss[0], rel=1e-14)


def test_plan_text_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--loss", "2.1", "--inference-tokens", "1e12"]) == 0
    text = capsys.readouterr().out
    assert "Least training + inference FLOPs" in text
    assert "saving" in text and "%)" in text


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["plan", "--loss", "1.5", "--inference-tokens", "1e12"], "unreachable"),
        (["plan", "--loss", "2.0", "--inference-tokens", "-1"], "non-negative number"),
        (["plan", "--inference-tokens", "1"], "one of the arguments --loss --params"),
        (["plan", "--loss", "2", "--law", "nope"], "`--law` must be a preset"),
    ],
)
def test_plan_errors(capsys: pytest.CaptureFixture[str], argv: list[str], match: str) -> None:
    assert match in run_error(capsys, argv)


# ---------------------------------------------------------------------- backtest
def test_backtest_json_matches_the_library(
    sweep_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, ["backtest", str(sweep_csv), "--split-compute", "3e20", *FAST])
    sweep = synthetic_sweep(noise=0.005, rng=3)
    from chinchilla_laws import random_starts

    ref = backtest(
        sweep.n_params,
        sweep.n_tokens,
        sweep.loss,
        split_compute=3e20,
        starts=random_starts(60, rng=0),
    )
    bt = out["backtest"]
    assert bt["n_train"] == ref.n_train
    assert bt["mean_abs_relative_error"] == pytest.approx(ref.mean_abs_relative_error, rel=1e-12)
    assert bt["a"] == pytest.approx(ref.a, rel=1e-12)
    assert bt["runs"]["train"] == ref.train.tolist()


def test_backtest_rank_and_text(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", str(sweep_csv), "--split-rank", "30", *FAST]) == 0
    text = capsys.readouterr().out
    assert "the 30 runs of least compute" in text
    assert "mean |relative error|" in text


def test_backtest_rolling_with_plot(
    sweep_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "roll.png"
    out = run_json(
        capsys,
        ["backtest", str(sweep_csv), "--rolling", "3", "--plot", str(png), *FAST, "-q"],
    )
    roll = out["rolling"]
    assert 1 <= len(roll["a"]) <= 3
    assert all(n >= 20 for n in roll["n_train"])
    assert png.stat().st_size > 0


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--split-compute", "1"], "must leave at least 6 training runs"),
        (["--split-compute", "1e20", "--plot", "x.png"], "add `--rolling K`"),
        (["--split-rank", "10", "--drop-highest", "1000"], "`--drop-highest` must be smaller"),
        ([], "one of the arguments --split-compute --split-rank --rolling"),
    ],
)
def test_backtest_errors(
    sweep_csv: Path, capsys: pytest.CaptureFixture[str], extra: list[str], match: str
) -> None:
    assert match in run_error(capsys, ["backtest", str(sweep_csv), *extra])


# ---------------------------------------------------------------------- design
def test_design_json_matches_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs_file = tmp_path / "runs.csv"
    out = run_json(
        capsys,
        [
            "design",
            "--budgets",
            "1e18",
            "1e19",
            "1e20",
            "--sims",
            "50",
            "--seed",
            "2",
            "--save-runs",
            str(runs_file),
        ],
    )
    ref = design_isoflop([1e18, 1e19, 1e20], HOFFMANN_2022_TEX, n_sims=50, rng=2)
    des = out["design"]
    assert des["forecasts"]["parabola"]["a_se"] == ref.a_se
    assert des["a_se_linear"] == ref.a_se_linear
    assert des["total_compute"] == ref.total_compute
    with runs_file.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 27
    np.testing.assert_array_equal([float(r["n_params"]) for r in rows], ref.n_params.ravel())


def test_design_target_se_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design", "--target-se", "0.02", "--max-budgets", "6", "--max-sizes", "11"]) == 0
    text = capsys.readouterr().out
    assert "Cheapest design with SE of a <= 0.02" in text
    assert "linearised SE of a" in text


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["design", "--budgets", "1e20"], "at least two distinct budgets"),
        (["design", "--budgets", "1e20", "1e21", "--span", "1"], "`span` must be greater"),
        (["design", "--target-se", "1e-6", "--max-budgets", "3"], "smallest linearised"),
        (["design", "--budgets", "1e20", "1e21", "--n-sizes", "2"], "`n_sizes`"),
    ],
)
def test_design_errors(capsys: pytest.CaptureFixture[str], argv: list[str], match: str) -> None:
    assert match in run_error(capsys, argv)


def test_design_estimator_and_window(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["design", "--budgets", "1e18", "1e20", "--estimator", "local", "--window", "3"]
    out = run_json(capsys, [*argv, "--sims", "20"])
    assert list(out["design"]["forecasts"]) == ["local"]
    ref = design_isoflop(
        [1e18, 1e20], HOFFMANN_2022_TEX, n_sims=20, estimators="local", window=3, rng=0
    )
    assert out["design"]["forecasts"]["local"]["a_se"] == ref.forecasts["local"].a_se
    assert "`window` must be an odd" in run_error(capsys, [*argv[:-1], "4"])


def test_backtest_fixed_and_tied_from_the_command_line(
    sweep_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    e = HOFFMANN_2022_TEX.E
    out = run_json(
        capsys,
        ["backtest", str(sweep_csv), "--split-compute", "3e20", "--fixed", f"E={e!r}", *FAST],
    )
    assert out["backtest"]["law"]["E"] == e
    out = run_json(
        capsys,
        ["backtest", str(sweep_csv), "--split-compute", "3e20", "--tie", "alpha,beta", *FAST],
    )
    assert out["backtest"]["law"]["alpha"] == out["backtest"]["law"]["beta"]
    err = run_error(capsys, ["backtest", str(sweep_csv), "--split-compute", "3e20", "--fixed", "E"])
    assert "expected NAME=NUMBER" in err
