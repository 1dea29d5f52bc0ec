"""Command line on training logs and multi-experiment files: --where, --group-by, --format."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_isoflop import MARIN  # the exponents pinned by the library-level Marin test
from test_logs import (
    CURVES,
    N_PARAMS,
    TPS,
    write_tensorboard,
    write_trainer_states,
    write_wide,
)

from chinchilla_laws import envelope
from chinchilla_laws.cli import ProgressBar, main, progress_bar
from chinchilla_laws.datasets import synthetic_sweep
from chinchilla_laws.io import save_runs

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MARIN_CSV = DATA / "marin_isoflops_raw.csv"
MARIN_ARGS = [
    "--column",
    "n_params=parameter_count",
    "--column",
    "n_tokens=throughput/total_tokens",
    "--column",
    "loss=eval/paloma/macro_loss",
    "--column",
    "budget=budget_in_name",
    "--unit",
    "budget=3",  # the names carry forward FLOPs (2ND); training FLOPs are 3 times that
    "--where",
    "is_validation_optimal_run=False",
]


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out)
    return out


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("chinchilla-laws: error: "), captured.err
    return lines[0]


# ---------------------------------------------------------------------- Marin in one command
@pytest.mark.skipif(not MARIN_CSV.exists(), reason=f"shared data file {MARIN_CSV} is absent")
def test_marin_all_datasets_in_one_command(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["isoflop", str(MARIN_CSV), "--group-by", "dataset", *MARIN_ARGS, "-q"]
    out = run_json(capsys, argv)
    assert out["group_by"] == "dataset"
    assert sorted(out["groups"]) == sorted(MARIN)
    for dataset, (a_ref, b_ref, n_flagged) in MARIN.items():
        iso = out["groups"][dataset]["isoflop"]
        # tolerance 1e-6, as the library-level pin: the same least squares on the same rows
        assert iso["a"] == pytest.approx(a_ref, abs=1e-6)
        assert iso["b"] == pytest.approx(b_ref, abs=1e-6)
        assert sum(not b["used"] for b in iso["budgets"]) == n_flagged
    # nemotron's concave 6e17 (x3) budget is reported once, as in the library test
    assert [w["category"] for w in out["warnings"]] == ["IsoFLOPWarning"]
    # the text output prints each group under its own heading
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert all(f"== dataset = {d} ==" in text for d in MARIN)
    # the selection is reported per group: Marin's 15 validation-optimal runs are left out
    assert sum(sum(g["data"]["skipped"].values()) for g in out["groups"].values()) == 15
    assert "not matching where is_validation_optimal_run='False'" in text


# ---------------------------------------------------------------------- --where / --group-by
@pytest.fixture(scope="module")
def two_sweeps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two noise-free sweeps of one law in one file, told apart by a `lab` column."""
    a = synthetic_sweep(noise=0.0)
    path = tmp_path_factory.mktemp("data") / "both.csv"
    lines = ["lab,N,D,loss,budget"]
    for lab, scale in (("x", 1.0), ("y", 1.02)):
        for n, d, lo, c in zip(
            a.n_params.tolist(),
            a.n_tokens.tolist(),
            a.loss.tolist(),
            a.budget.tolist(),
            strict=True,
        ):
            lines.append(f"{lab},{n!r},{d!r},{lo * scale!r},{c!r}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_group_by_fits_each_group(two_sweeps: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["isoflop", str(two_sweeps), "--group-by", "lab"])
    assert list(out["groups"]) == ["x", "y"]
    x = out["groups"]["x"]["isoflop"]
    single = run_json(capsys, ["isoflop", str(two_sweeps), "--where", "lab=x"])
    # a group fitted alone and within --group-by: the same numbers (exactly)
    assert x["a"] == single["isoflop"]["a"] and x["b"] == single["isoflop"]["b"]
    assert out["groups"]["x"]["data"]["n_rows"] == single["data"]["n_rows"] == 63
    # a constant factor on the loss moves no vertex: same exponents to 1e-9
    assert out["groups"]["y"]["isoflop"]["a"] == pytest.approx(x["a"], abs=1e-9)
    both = run_json(capsys, ["isoflop", str(two_sweeps), "--where", "lab=x", "--where", "lab=y"])
    assert both["data"]["n_rows"] == 126


def test_group_by_writes_one_figure_per_group(
    two_sweeps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "iso.png"
    code = main(["isoflop", str(two_sweeps), "--group-by", "lab", "--plot", str(target), "-q"])
    assert code == 0, capsys.readouterr().err
    for lab in ("x", "y"):
        png = tmp_path / f"iso-{lab}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not target.exists()


def test_group_errors_name_the_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.csv"
    rows = ["g,N,D,loss"] + [
        f"a,{1e8 * (i % 3 + 1)!r},{1e9 * (i // 3 + 1)!r},{3.0 - i / 10!r}" for i in range(6)
    ]
    rows += ["b,1e8,1e9,3.0", "b,2e8,1e9,2.9"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    line = one_error_line(capsys, ["fit", str(path), "--group-by", "g", "--starts", "random:5"])
    assert "g=b: " in line and "more points" in line
    line = one_error_line(capsys, ["fit", str(path), "--where", "h=1"])
    assert "`where` names column 'h'" in line
    line = one_error_line(capsys, ["fit", str(path), "--group-by", "nope"])
    assert "`group_by` names column 'nope'" in line


# ---------------------------------------------------------------------- training logs
def test_envelope_from_a_folder_of_trainer_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_trainer_states(tmp_path / "runs")
    sizes = tmp_path / "sizes.json"
    sizes.write_text(json.dumps(N_PARAMS), encoding="utf-8")
    out = run_json(
        capsys,
        [
            "envelope",
            str(root),
            "--n-params",
            str(sizes),
            "--tokens-per-step",
            "re:bs(\\d+)",
            "--n-grid",
            "200",
            "--smoothing",
            "0",
            "--min-share",
            "0",
        ],
    )
    ids, n, d, loss, ends = [], [], [], [], []
    for name, (steps, tokens, lo) in CURVES.items():
        keep = steps > 0
        ids += [name] * int(keep.sum())
        n.append(np.full(int(keep.sum()), N_PARAMS[name]))
        d.append(tokens[keep])
        loss.append(lo[keep])
        ends.append(np.full(int(keep.sum()), tokens[-1]))
    ref = envelope(
        np.array(ids),
        np.concatenate(n),
        np.concatenate(d),
        np.concatenate(loss),
        schedule_end=np.concatenate(ends),
        smoothing=0,
        n_grid=200,
        min_share=0.0,
    )
    env = out["envelope"]
    assert env["a"] == ref.a and env["b"] == ref.b
    assert env["n_runs"] == 3
    assert out["data"]["n_rows"] == sum(len(c[0]) - 1 for c in CURVES.values())
    n_eval = sum(int((c[0] % 50 == 0).sum()) for c in CURVES.values())
    assert out["data"]["skipped"] == {
        "without a finite 'loss'": n_eval + 3,
        "at zero tokens (step 0)": 3,
    }
    assert out["data"]["n_runs"] == 3


def test_wandb_wide_export_and_format_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_wide(tmp_path / "export.csv")
    argv = ["envelope", str(path), "--n-params", "re:-(\\d+M)-", "--tokens-per-step"]
    out = run_json(capsys, [*argv, "re:bs(\\d+)", "--n-grid", "100", "--min-share", "0"])
    assert out["data"]["columns"]["loss"] == "train/loss"
    # --format csv reads the export as a plain table, which has no loss column
    line = one_error_line(capsys, ["envelope", str(path), "--format", "csv"])
    assert "no column for `loss`" in line


def test_tensorboard_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tensorboard(tmp_path / "tb")
    out = run_json(
        capsys,
        [
            "envelope",
            str(root),
            "--n-params",
            "re:-(\\d+M)-",
            "--tokens-per-step",
            "re:bs(\\d+)",
            "--n-grid",
            "100",
            "--min-share",
            "0",
        ],
    )
    assert out["envelope"]["n_runs"] == 3


# ---------------------------------------------------------------------- malformed logs
def test_truncated_trainer_state_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_trainer_states(tmp_path / "runs")
    bad = root / "tiny-20M-bs4096" / "checkpoint-250" / "trainer_state.json"
    bad.write_text(bad.read_text()[:-40], encoding="utf-8")
    line = one_error_line(
        capsys, ["envelope", str(root), "--n-params", "1e8", "--tokens-per-step", "8"]
    )
    assert "tiny-20M-bs4096" in line and "is not valid JSON" in line


def test_wide_csv_without_metric_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Step,a - loss,a - loss__MIN,b - \n10,3.0,2.9,\n", encoding="utf-8")
    line = one_error_line(
        capsys, ["envelope", str(path), "--n-params", "1e8", "--tokens-per-step", "8"]
    )
    assert "column 'b -' is not '<run name> - <metric>'" in line


def test_event_file_without_tag_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tensorboard(tmp_path / "tb", tag="accuracy")
    line = one_error_line(
        capsys, ["envelope", str(root), "--n-params", "1e8", "--tokens-per-step", "8"]
    )
    assert "has no loss scalar tag" in line and "'accuracy'" in line


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--n-params", "re:("], "bad regular expression"),
        (["--n-params", "-3"], "expected a positive number, re:PATTERN"),
        (["--where", "=x"], "expected COLUMN=VALUE"),
    ],
)
def test_bad_log_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["envelope", str(tmp_path), *extra]) == 2
    assert message in capsys.readouterr().err


def test_log_only_and_table_only_options_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_trainer_states(tmp_path / "runs")
    line = one_error_line(capsys, ["envelope", str(root), "--n-params", "1e8", "--where", "lab=x"])
    assert "cannot be used with training logs" in line
    table = tmp_path / "t.csv"
    save_runs(synthetic_sweep(), table)
    line = one_error_line(capsys, ["fit", str(table), "--format", "csv", "--n-params", "1e8"])
    assert "apply to training logs only" in line


def test_installed_cli_prints_one_line_without_traceback(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    bad = root / "small-50M-bs8192" / "checkpoint-200" / "trainer_state.json"
    bad.write_text("{", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "chinchilla_laws", "envelope", str(root), "--n-params", "1e8"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not valid JSON" in proc.stderr


# ---------------------------------------------------------------------- progress
def test_progress_uses_tqdm_when_installed() -> None:
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    bar = progress_bar("work", enabled=True, stream=stream)
    for i in range(1, 5):
        bar(i, 4)
    assert not isinstance(bar, ProgressBar)
    assert "work: 100%" in stream.getvalue() and "4/4" in stream.getvalue()


def test_progress_falls_back_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = io.StringIO()
    bar = progress_bar("work", enabled=True, stream=stream)
    assert isinstance(bar, ProgressBar)
    bar(2, 2)
    assert "work [" in stream.getvalue() and "2/2" in stream.getvalue()
    silent = progress_bar("work", enabled=False, stream=stream)
    assert isinstance(silent, ProgressBar) and not silent.enabled


def test_reading_logs_reports_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_trainer_states(tmp_path / "runs")
    argv = ["envelope", str(root), "--n-params", "1e8", "--tokens-per-step", "8", "--progress"]
    assert main([*argv, "--n-grid", "100", "--min-share", "0"]) == 0
    err = capsys.readouterr().err
    assert "read 3 runs, " in err and "skipped" in err and "at zero tokens (step 0)" in err
    assert TPS  # the fixtures above use the same curves


def test_per_run_specs_on_the_command_line(tmp_path: Path) -> None:
    import argparse
    import re

    from chinchilla_laws.cli import _per_run_spec

    assert _per_run_spec("1.5e8") == 1.5e8
    pattern = _per_run_spec(r"re:-(\d+M)-")
    assert isinstance(pattern, re.Pattern) and pattern.pattern == r"-(\d+M)-"
    assert _per_run_spec("column:num_params") == "num_params"
    sizes = tmp_path / "sizes.json"
    sizes.write_text('{"a": 1e8, "b": 2e8}', encoding="utf-8")
    assert _per_run_spec(str(sizes)) == {"a": 1e8, "b": 2e8}
    sizes.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(argparse.ArgumentTypeError, match="must hold an object"):
        _per_run_spec(str(sizes))
    with pytest.raises(argparse.ArgumentTypeError, match="cannot read"):
        _per_run_spec(str(tmp_path / "missing.json"))
    with pytest.raises(argparse.ArgumentTypeError, match="column:NAME"):
        _per_run_spec("column:")
