"""The README's "From your training logs" examples run, and print what the README shows.

The test writes the example logs the README reads (a W&B export, a folder of Trainer
output folders, a JSON Lines file, TensorBoard event files and ``sizes.json``) into a
temporary folder, runs the README's Python block there and compares its output, then
runs each command of the README's command-line block.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from chinchilla_laws import HOFFMANN_2022_TEX
from chinchilla_laws.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DATA = ROOT.parent / "shared" / "data"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## From your training logs\n(.*?)\n## ", text, re.S)
    assert match, "README has no 'From your training logs' section"
    return match.group(1)


def _curve(n: float, tps: float, steps: np.ndarray) -> np.ndarray:
    """Loss of a run of size n at each step: the law plus an unannealed excess."""
    tokens = np.maximum(steps * tps, 1.0)
    loss = HOFFMANN_2022_TEX.loss(n, tokens) + 0.2 * (1 - steps / steps[-1])
    loss[steps == 0] = 10.8  # about ln(vocabulary size) before the first update
    return np.float32(loss).astype(np.float64)  # float32 values: TensorBoard keeps them exactly


WANDB = {"llama-70M-bs128-ctx2048": 7e7, "llama-160M-bs256-ctx2048": 1.6e8}
SIZES = {"gpt-s": 1.24e8, "gpt-m": 3.55e8, "gpt-l": 7.74e8}
TPS = 32 * 1024
STEPS = np.arange(0, 401, 20, dtype=np.float64)


def write_examples(folder: Path) -> None:
    with (folder / "wandb_export.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        header = ["Step"]
        for name in WANDB:
            header += [f"{name} - train/loss", f"{name} - train/loss__MIN"]
            header += [f"{name} - train/loss__MAX"]
        w.writerow(header)
        curves = {
            name: _curve(n, int(re.findall(r"bs(\d+)", name)[0]) * 2048, STEPS)
            for name, n in WANDB.items()
        }
        for j, step in enumerate(STEPS):
            row = [str(int(step))]
            for name in WANDB:
                cell = repr(float(curves[name][j])) if step <= 300 or "160M" in name else ""
                row += [cell, cell, cell]
            w.writerow(row)
    for name, n in SIZES.items():
        loss = _curve(n, TPS, STEPS)
        history = [
            {"loss": float(lo), "learning_rate": 3e-4, "epoch": 0.5, "step": int(s)}
            for s, lo in zip(STEPS, loss, strict=True)
        ]
        history += [{"eval_loss": float(loss[-1]) + 0.05, "step": int(STEPS[-1])}]
        state = {"log_history": history, "max_steps": int(STEPS[-1]), "global_step": 400}
        run = folder / "hf_runs" / name
        run.mkdir(parents=True)
        (run / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    with (folder / "metrics.jsonl").open("w", encoding="utf-8") as fh:
        for name, n in SIZES.items():
            for s, lo in zip(STEPS, _curve(n, TPS, STEPS), strict=True):
                line = {"run": name, "step": int(s), "loss": float(lo)}
                line |= {"num_params": n, "batch_tokens": TPS}
                fh.write(json.dumps(line) + "\n")
    (folder / "sizes.json").write_text(json.dumps(SIZES), encoding="utf-8")
    try:
        from tensorboard.summary import Writer
    except ImportError:
        return
    for name, n in SIZES.items():
        writer = Writer(str(folder / "tb_logs" / name))
        for s, lo in zip(STEPS, _curve(n, TPS, STEPS), strict=True):
            writer.add_scalar("train/loss", float(lo), int(s))
        writer.close()


def test_readme_log_readers_print_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tensorboard", reason="the README's example reads TensorBoard files")
    match = re.search(r"```python\n(.*?)```\s+prints\s+```\n(.*?)```", _section(), re.S)
    assert match, "the section has no Python example with its output"
    code, expected = match.groups()
    write_examples(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == expected


def test_readme_log_commands_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    match = re.search(r"```bash\n(.*?)```", _section(), re.S)
    assert match, "the section has no command-line example"
    commands = match.group(1).replace("\\\n", " ").strip().splitlines()
    assert len(commands) == 2
    write_examples(tmp_path)
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "chinchilla-laws"
        if any("../shared/data" in a for a in argv):
            if not DATA.is_dir():
                continue
            monkeypatch.chdir(ROOT)
        else:
            monkeypatch.chdir(tmp_path)
        code = main([*argv[1:], "-q"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert captured.out.strip()
