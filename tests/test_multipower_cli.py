"""``chinchilla-laws curves ...`` and the multi-power figures."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _luo import DATA

import chinchilla_laws as cl
from chinchilla_laws.cli import main
from chinchilla_laws.plot import plot_loss_curves, plot_schedules
from chinchilla_laws.schedules import constant, cosine, two_stage


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out)
    return out


def _synthetic_files(tmp_path: Path) -> tuple[Path, Path]:
    """A long table of three curves drawn from the 100M law and their schedules."""
    law = cl.LUO_2025_100M
    scheds = {
        "cos": cosine(3000, peak=3e-4, final=3e-5, warmup=300),
        "const": constant(3000, peak=3e-4, warmup=300),
        "two": two_stage(3000, peak=3e-4, switch_step=1500, second=3e-5, warmup=300),
    }
    data = tmp_path / "curves.csv"
    sched = tmp_path / "schedules.csv"
    with data.open("w", newline="") as fh, sched.open("w", newline="") as fs:
        w, ws = csv.writer(fh), csv.writer(fs)
        w.writerow(["run", "step", "loss", "split"])
        ws.writerow(["run", "step", "lr"])
        for name, eta in scheds.items():
            steps = np.arange(320, 3000, 80)
            for t, v in zip(steps, law.loss(eta, steps), strict=True):
                w.writerow([name, t, repr(float(v)), "test" if name == "two" else "train"])
            for t, v in enumerate(eta):
                ws.writerow([name, t, repr(float(v))])
    return data, sched


def test_predict_on_the_shared_data_reproduces_the_published_score(capsys):
    out = run_json(
        capsys,
        [
            "curves", "predict", str(DATA), "--curve", "schedule", "--where", "model_size=400M",
            "--where", "split=test", "--schedules", "luo2025", "--law", "luo2025-400m",
        ],
    )  # fmt: skip
    assert len(out["curves"]) == 6
    assert round(out["mean_pred_error"], 5) == 0.00168  # REFERENCE.md §7
    assert round(out["mean_r2"], 4) == 0.9978


def test_fit_save_law_then_predict(capsys, tmp_path):
    data, sched = _synthetic_files(tmp_path)
    law_file = tmp_path / "law.json"
    png = tmp_path / "fit.png"
    out = run_json(
        capsys,
        [
            "curves", "fit", str(data), "--curve", "run", "--schedules", str(sched),
            "--test", "split=test", "--save-law", str(law_file), "--plot", str(png),
        ],
    )  # fmt: skip
    assert out["success"]
    assert [c["curve"] for c in out["train"]] == ["cos", "const"]
    assert [c["curve"] for c in out["test"]] == ["two"]
    # the fit never saw the two-stage run, yet noiseless curves from one law are
    # predicted to well under 1%
    assert out["test"][0]["pred_error"] < 1e-2
    assert png.stat().st_size > 0
    saved = json.loads(law_file.read_text())
    # the library's law dict: what the library itself reads back, equal to the fit's
    assert saved["format"] == "chinchilla_laws.law" and saved["family"] == "multi_power"
    assert saved == out["law"]
    assert cl.MultiPowerLaw.from_dict(saved).params == out["law"]["params"]
    again = run_json(
        capsys,
        ["curves", "predict", str(data), "--curve", "run", "--schedules", str(sched),
         "--law", str(law_file)],
    )  # fmt: skip
    assert again["curves"][2]["pred_error"] == pytest.approx(out["test"][0]["pred_error"])


def test_fit_fixed_and_tied_options(capsys, tmp_path):
    data, sched = _synthetic_files(tmp_path)
    out = run_json(
        capsys,
        [
            "curves", "fit", str(data), "--curve", "run", "--schedules", str(sched),
            "--fixed", "gamma=0.6", "--tied", "alpha,beta",
        ],
    )  # fmt: skip
    assert out["law"]["params"]["gamma"] == 0.6
    assert out["law"]["params"]["alpha"] == out["law"]["params"]["beta"]


def _predict(capsys: pytest.CaptureFixture[str], law: str) -> dict[str, Any]:
    argv = ["curves", "predict", str(DATA), "--curve", "schedule", "--where", "model_size=400M",
            "--where", "split=test", "--schedules", "luo2025", "--law", law]  # fmt: skip
    return run_json(capsys, argv)


def test_law_files_of_both_layouts_are_read(capsys, tmp_path):
    law = cl.LUO_2025_400M
    preset = _predict(capsys, "luo2025-400m")
    files = {
        # what --save-law writes now (the library's law dict)
        "new.json": law.as_dict(),
        # what --save-law wrote before: the parameters at the top level
        "old.json": {"family": "multi_power", **law.params},
        "bare.json": dict(law.params),
        # the JSON output of a curves command
        "output.json": {"command": "curves predict", "law": law.as_dict()},
    }
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(json.dumps(content))
        out = _predict(capsys, str(path))
        assert out["law"] == law.as_dict(), name
        assert out["curves"] == preset["curves"], name


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("[1, 2]", "must hold a JSON object; got a JSON list"),
        ("{not json", "is not readable JSON"),
        ('{"L0": 1.0}', r"lacks the parameters \['A', "),
        (json.dumps(cl.HOFFMANN_2022_TEX.as_dict()), "'chinchilla' family, not 'multi_power'"),
        (json.dumps({**cl.LUO_2025_400M.as_dict(), "version": 7}), "has version 7"),
    ],
)
def test_unusable_law_files_are_refused(capsys, tmp_path, content, match):
    path = tmp_path / "law.json"
    path.write_text(content)
    argv = ["curves", "predict", str(DATA), "--curve", "schedule", "--schedules", "luo2025",
            "--law", str(path)]  # fmt: skip
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "`--law` file" in err and re.search(match, err), err


def test_optimize_schedule_command(capsys, tmp_path):
    save = tmp_path / "opt.csv"
    out = run_json(
        capsys,
        [
            "curves", "optimize-schedule", "--law", "luo2025-25m", "--steps", "3000",
            "--warmup", "300", "--peak", "3e-4", "--save", str(save),
        ],
    )  # fmt: skip
    want = cl.optimize_schedule(cl.LUO_2025_25M, 3000, warmup=300, peak=3e-4)
    assert out["final_loss"] == want.final_loss
    assert out["baselines"] == dict(want.baselines)
    with save.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3000
    np.testing.assert_array_equal([float(r["lr"]) for r in rows], want.schedule)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["curves", "predict", "{data}", "--schedules", "luo2025", "--law", "luo2025-400m"],
         "has no column 'curve'"),
        (["curves", "predict", "{data}", "--curve", "run", "--schedules", "luo2025",
          "--law", "luo2025-1b"], "`--law` must be a preset"),
        (["curves", "predict", "{data}", "--curve", "run", "--schedules", "luo2025",
          "--law", "luo2025-400m"], "`name` must be one of 'cosine_T'"),
        (["curves", "fit", "{data}", "--curve", "run", "--schedules", "{sched}",
          "--fixed", "D=1"], "`fixed` names unknown parameter 'D'"),
        (["curves", "optimize-schedule", "--law", "luo2025-400m", "--steps", "100",
          "--warmup", "100", "--peak", "3e-4"], "`warmup` must be below `total_steps`"),
    ],
)  # fmt: skip
def test_errors_exit_2_with_a_message(capsys, tmp_path, argv, message):
    data, sched = _synthetic_files(tmp_path)
    args = [a.format(data=data, sched=sched) for a in argv]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_plot_loss_curves_marks_train_and_test():
    law = cl.LUO_2025_100M
    eta = cosine(2000, peak=3e-4, final=3e-5, warmup=200)
    steps = np.arange(220, 2000, 50)
    a = cl.LossCurve(name="a", steps=steps, loss=law.loss(eta, steps) * 1.01, schedule=eta)
    b = cl.LossCurve(name="b", steps=steps, loss=law.loss(eta, steps), schedule=eta)
    ax = plot_loss_curves(law, [a], test=[b])
    gids = [line.get_gid() for line in ax.get_lines()]
    assert gids == ["observed-train", "predicted-train", "observed-test", "predicted-test"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), law.loss(eta, steps))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (train, PredE 0.0099)", "b (test, PredE 0.0000)"]
    with pytest.raises(TypeError, match="`law` must be a MultiPowerLaw"):
        plot_loss_curves(law.param_vector, [a])
    plt.close("all")


def test_plot_schedules_shows_the_optimum_and_baselines():
    opt = cl.optimize_schedule(cl.LUO_2025_25M, 2000, warmup=200, peak=3e-4)
    fig = plot_schedules(opt)
    rate_ax, loss_ax = fig.axes
    assert [line.get_gid() for line in rate_ax.get_lines()] == [
        "rate-optimised", "rate-cosine", "rate-wsd"
    ]  # fmt: skip
    np.testing.assert_array_equal(rate_ax.get_lines()[0].get_ydata(), opt.schedule)
    legend = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert legend[0] == f"optimised: final {opt.final_loss:.5f}"
    with pytest.raises(TypeError, match="`result` must be an OptimizedSchedule"):
        plot_schedules(opt.schedule)
    plt.close("all")
