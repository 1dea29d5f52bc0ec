"""Tests of the command line (chinchilla_laws.cli)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chinchilla_laws import BESIROGLU_2024, HOFFMANN_2022_TEX
from chinchilla_laws.cli import ProgressBar, main
from chinchilla_laws.datasets import synthetic_curves, synthetic_sweep
from chinchilla_laws.io import save_runs

FAST = ["--starts", "random:50"]


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out)
    return out


@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "sweep.csv"
    save_runs(synthetic_sweep(noise=0.0), path)
    return path


@pytest.fixture(scope="module")
def curves_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "curves.csv"
    save_runs(synthetic_curves(), path)
    return path


# ---------------------------------------------------------------------- optimal
def test_optimal_flops_matches_paper(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["optimal", "--flops", "5.76e23", "--law", "hoffmann2022-tex"])
    row = out["laws"][0]["frontier"][0]
    # the closed form of the TeX-source law: 4.036e10 params, 2.379e12 tokens (4 digits)
    assert row["n_params"] == pytest.approx(4.036e10, rel=5e-4)
    assert row["n_tokens"] == pytest.approx(2.379e12, rel=5e-4)
    # full precision: identical to the library's value, not a rounded copy
    assert row["n_params"] == float(HOFFMANN_2022_TEX.optimal(5.76e23).n_params[0])
    assert row["compute"] == 5.76e23
    assert out["warnings"] == []


def test_optimal_params_table3(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["optimal", "--params", "70e9", "400e6"])
    rows = out["laws"][0]["frontier"]
    expected = HOFFMANN_2022_TEX.optimal_for_params([70e9, 400e6])
    assert [r["compute"] for r in rows] == expected.compute.tolist()
    # C = 6 N D holds for each row (rtol 1e-12, rounding)
    for r in rows:
        assert 6 * r["n_params"] * r["n_tokens"] == pytest.approx(r["compute"], rel=1e-12)


def test_optimal_text_and_several_laws(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["optimal", "--flops", "1e21", "1e24", "--law", "hoffmann2022", "--law", "besiroglu2024"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Hoffmann et al. 2022 (printed)" in out and BESIROGLU_2024.name in out
    assert "N_opt" in out


def test_optimal_law_from_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    law = {"E": 1.8, "A": 400.0, "B": 1000.0, "alpha": 0.35, "beta": 0.37}
    path = tmp_path / "law.json"
    path.write_text(json.dumps({"fit": {"law": law}}))
    out = run_json(capsys, ["optimal", "--tokens", "1e12", "--law", str(path)])
    assert out["laws"][0]["law"]["alpha"] == 0.35
    assert out["laws"][0]["frontier"][0]["n_tokens"] == 1e12


# ---------------------------------------------------------------------- fit
def test_fit_json_recovers_the_law(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["fit", str(sweep_csv), *FAST, "--budgets", "1e21", "5.76e23"])
    fit = out["fit"]
    assert fit["success"] is True
    assert out["data"]["n_rows"] == 63
    # noise-free data from the law: exponents recovered to 1e-4 (solver tolerance)
    assert fit["law"]["alpha"] == pytest.approx(HOFFMANN_2022_TEX.alpha, rel=1e-4)
    assert fit["law"]["beta"] == pytest.approx(HOFFMANN_2022_TEX.beta, rel=1e-4)
    assert [r["compute"] for r in out["optimal"]] == [1e21, 5.76e23]
    assert out["optimal"][1]["n_params"] == pytest.approx(4.036e10, rel=1e-3)


def test_fit_text_drop_highest_and_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = synthetic_sweep()
    path = tmp_path / "renamed.csv"
    rows = ["Model Size,Training GFLOP,Loss"]
    rows += [
        f"{n!r},{c / 1e9!r},{lo!r}"
        for n, c, lo in zip(
            sweep.n_params.tolist(), sweep.compute.tolist(), sweep.loss.tolist(), strict=True
        )
    ]
    path.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "fit",
            str(path),
            *FAST,
            "--column",
            "compute=Training GFLOP",
            "--unit",
            "compute=GFLOP",
            "--drop-highest",
            "3",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Chinchilla parametric fit" in captured.out
    assert "dropped the 3 highest-loss rows" in captured.out
    assert "points 60" in captured.out


def test_fit_bootstrap(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["fit", str(sweep_csv), *FAST, "--bootstrap", "20", "--seed", "1"])
    boot = out["bootstrap"]
    assert boot["n_resamples"] == 20
    law = out["fit"]["law"]
    for key in ("E", "A", "B", "alpha", "beta"):
        lo, hi = boot["intervals"][key]
        # noise-free data: every resample refits the same law, so the interval collapses
        # onto the estimate (to the fit's convergence, ~1e-6 relative)
        assert lo == pytest.approx(law[key], rel=1e-5), key
        assert hi == pytest.approx(law[key], rel=1e-5), key
        assert boot["standard_errors"][key] <= 1e-5 * abs(law[key]), key


def test_progress_bar_on_request(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fit", str(sweep_csv), *FAST, "--bootstrap", "4", "--progress"])
    err = capsys.readouterr().err
    assert code == 0
    # tqdm's bar when it is installed, the built-in one otherwise (tests/test_cli_logs.py)
    assert "bootstrap" in err and "4/4" in err
    code = main(["fit", str(sweep_csv), *FAST, "--bootstrap", "4", "--progress", "--quiet"])
    assert code == 0
    assert capsys.readouterr().err == ""


def test_progress_bar_class() -> None:
    stream = io.StringIO()
    bar = ProgressBar("work", enabled=True, stream=stream, width=10)
    for i in range(1, 6):
        bar(i, 5)
    text = stream.getvalue()
    assert "[##########] 5/5" in text and text.endswith("\n")
    silent = io.StringIO()
    ProgressBar("work", enabled=False, stream=silent)(1, 2)
    assert silent.getvalue() == ""


def test_library_warnings_become_stderr_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = synthetic_sweep()
    path = tmp_path / "s.csv"
    save_runs(sweep, path)
    code = main(["isoflop", str(path), "--json", "--min-points", "9", "--column", "budget=budget"])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["warnings"] == []
    # an extra budget (5e21) with 3 runs and min_points 4 is flagged:
    # the IsoFLOPWarning is printed, not raised
    rows = ["N,D,loss"] + [
        f"{n!r},{d!r},{lo!r}"
        for n, d, lo in zip(
            sweep.n_params.tolist(), sweep.n_tokens.tolist(), sweep.loss.tolist(), strict=True
        )
    ]
    rows += [f"{1e8 * (i + 1)!r},{5e21 / (6e8 * (i + 1))!r},3.0" for i in range(3)]
    path2 = tmp_path / "flagged.csv"
    path2.write_text("\n".join(rows) + "\n")
    code = main(["isoflop", str(path2), "--min-points", "4"])
    captured = capsys.readouterr()
    assert code == 0
    assert "chinchilla-laws: warning: IsoFLOPWarning:" in captured.err


# ---------------------------------------------------------------------- isoflop, envelope
def test_isoflop_json(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["isoflop", str(sweep_csv), "--budgets", "1e22"])
    iso = out["isoflop"]
    assert len(iso["budgets"]) == 7
    assert all(b["status"] == "OK" for b in iso["budgets"])
    # noise-free, log-symmetric sizes: the vertex shift is constant, a is recovered to 1e-6
    assert iso["a"] == pytest.approx(HOFFMANN_2022_TEX.a, abs=1e-6)
    assert out["optimal"][0]["compute"] == 1e22


def test_envelope_json_and_text(curves_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["envelope", str(curves_csv), "--n-grid", "300"])
    env = out["envelope"]
    assert env["n_runs"] == 45
    assert env["n_grid"] == 300
    assert env["a"] + env["b"] == pytest.approx(1.0, abs=1e-12)
    assert env["share_in_final_fraction"] >= 0.5
    code = main(["envelope", str(curves_csv), "--n-grid", "300", "--budgets", "1e21"])
    text = capsys.readouterr().out
    assert code == 0 and "Envelope of training curves" in text and "N_opt" in text


def test_envelope_needs_run_ids(sweep_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["envelope", str(sweep_csv)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("chinchilla-laws: error:") and "run id" in err


# ---------------------------------------------------------------------- demo
def test_demo_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sweep_path = tmp_path / "demo_sweep.csv"
    out = run_json(capsys, ["demo", *FAST, "--save-sweep", str(sweep_path)])
    assert out["data"]["sweep"]["n_runs"] == 63
    assert set(out["exponents"]) == {"truth", "envelope", "isoflop", "parametric"}
    assert out["exponents"]["truth"]["a"] == HOFFMANN_2022_TEX.a
    assert out["fit"]["success"] is True
    assert sweep_path.is_file()
    # the saved sweep feeds the fit command
    assert main(["fit", str(sweep_path), *FAST, "--quiet"]) == 0
    capsys.readouterr()


def test_no_arguments_runs_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []
    import chinchilla_laws.cli as cli

    def fake_demo(args: Any, ctx: Any) -> tuple[dict[str, Any], str]:
        calls.append(args.command)
        return {"command": "demo"}, "demo ran"

    monkeypatch.setattr(cli, "_cmd_demo", fake_demo)
    assert main([]) == 0
    assert main(["--json"]) == 0
    assert calls == ["demo", "demo"]
    out = capsys.readouterr().out
    assert "demo ran" in out


@pytest.mark.slow
def test_python_dash_m_runs_demo() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "chinchilla_laws", "--starts", "random:50", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Built-in example" in proc.stdout


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("N,D,loss\n1e8,2e9,3.0\n1e8,oops,3.0\n", "line 3 (row 2), column 'D'"),
        ("", "is empty"),
        ("a,b\n1,2\n", "no column for `loss`"),
    ],
)
def test_bad_file_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code = main(["fit", str(path), *FAST])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("chinchilla-laws: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["optimal", "--flops", "-1"],
        ["optimal", "--flops", "1e21", "--law", "no-such-law"],
        ["fit", "missing-file.csv"],
        ["fit", "x.csv", "--starts", "sometimes"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_too_few_points_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.csv"
    path.write_text("N,D,loss\n1e8,2e9,3\n2e8,2e9,2.9\n")
    assert main(["fit", str(path)]) == 2
    assert "more points than its 5 free parameters" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "fit" in capsys.readouterr().out


# ---------------------------------------------------------------------- plots
def test_plot_without_matplotlib_is_a_clear_error(
    sweep_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = main(["isoflop", str(sweep_csv), "--plot", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs matplotlib" in err


@pytest.mark.parametrize("command", ["fit", "isoflop", "envelope", "demo"])
def test_plot_writes_png(
    command: str,
    sweep_csv: Path,
    curves_csv: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / f"{command}.png"
    data = {"fit": [str(sweep_csv), *FAST], "isoflop": [str(sweep_csv)], "demo": FAST}
    argv = [command, *data.get(command, [str(curves_csv), "--n-grid", "200"]), "--plot", str(path)]
    code = main(argv)
    assert code == 0, capsys.readouterr().err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
