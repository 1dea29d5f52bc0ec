"""Tests of chinchilla_laws.logs (training-log readers) and load_runs' where/group_by.

Every reader is tested on files the tests write from one known set of curves: the
curves read back must be the same runs, steps, tokens and losses, exactly.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chinchilla_laws import HOFFMANN_2022_TEX, envelope
from chinchilla_laws.io import Runs, load_runs, save_runs
from chinchilla_laws.logs import (
    detect_format,
    read_jsonl,
    read_logs,
    read_tensorboard,
    read_trainer_state,
    read_wandb_csv,
)

# name -> (N, tokens per step, number of logged steps); steps are 0, 10, 20, ...
SPEC = {
    "tiny-20M-bs4096": (2e7, 4096, 25),
    "small-50M-bs8192": (5e7, 8192, 20),
    "base-120M-bs16384": (1.2e8, 16384, 15),
}
EVERY = 10


def _curve(n: float, tps: int, n_logs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = np.arange(n_logs + 1, dtype=np.float64) * EVERY
    tokens = steps * tps
    with np.errstate(divide="ignore"):
        loss = HOFFMANN_2022_TEX.loss(n, np.maximum(tokens, 1.0)) + 0.3 * (1 - steps / steps[-1])
    # float32-representable values, so that TensorBoard (float32) round-trips exactly too
    return steps, tokens, np.float32(loss).astype(np.float64)


CURVES = {name: _curve(*spec) for name, spec in SPEC.items()}
N_PARAMS = {name: spec[0] for name, spec in SPEC.items()}
TPS = {name: float(spec[1]) for name, spec in SPEC.items()}


def by_run(runs: Runs) -> dict[str, tuple[list[float], ...]]:
    assert runs.run_id is not None and runs.step is not None
    out = {}
    for name in dict.fromkeys(runs.run_id.tolist()):
        sel = runs.run_id == name
        out[name] = (
            runs.step[sel].tolist(),
            runs.n_tokens[sel].tolist(),
            runs.loss[sel].tolist(),
            sorted(set(runs.n_params[sel].tolist())),
        )
    return out


def expected(names: list[str] | None = None) -> dict[str, tuple[list[float], ...]]:
    """The known curves without their step-0 row (zero tokens, skipped by the readers)."""
    return {
        name: (
            CURVES[name][0][1:].tolist(),
            CURVES[name][1][1:].tolist(),
            CURVES[name][2][1:].tolist(),
            [N_PARAMS[name]],
        )
        for name in (names or list(SPEC))
    }


# ---------------------------------------------------------------------- writers
def write_wide(path: Path, metric: str = "train/loss", companions: bool = True) -> Path:
    all_steps = sorted({s for steps, _, _ in CURVES.values() for s in steps.tolist()})
    header = ["Step"]
    for name in SPEC:
        header.append(f"{name} - {metric}")
        if companions:
            header += [f"{name} - {metric}__MIN", f"{name} - {metric}__MAX"]
    rows = []
    for s in all_steps:
        row = [repr(int(s))]
        for name in SPEC:
            steps, _, loss = CURVES[name]
            hit = np.flatnonzero(steps == s)
            cell = repr(float(loss[hit[0]])) if hit.size else ""
            row.append(cell)
            if companions:
                row += [cell, cell]
        rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_long(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "_step", "train/loss", "num_params", "lr"])
        for name, (steps, _, loss) in CURVES.items():
            for s, lo in zip(steps, loss, strict=True):
                w.writerow([name, repr(int(s)), repr(float(lo)), repr(N_PARAMS[name]), "0.001"])
    return path


def write_trainer_states(root: Path, *, tokens_seen: bool = False) -> Path:
    for name, (steps, tokens, loss) in CURVES.items():
        folder = root / name / f"checkpoint-{int(steps[-1])}"
        folder.mkdir(parents=True)
        history: list[dict[str, Any]] = []
        for s, d, lo in zip(steps, tokens, loss, strict=True):
            entry: dict[str, Any] = {"epoch": 0.1, "learning_rate": 1e-3, "loss": float(lo)}
            entry["step"] = int(s)
            if tokens_seen:
                entry["num_input_tokens_seen"] = int(d)
            history.append(entry)
            if s % 50 == 0:
                history.append({"eval_loss": float(lo) + 0.1, "step": int(s)})
        history.append({"train_loss": 3.0, "train_runtime": 10.0, "step": int(steps[-1])})
        state = {"global_step": int(steps[-1]), "max_steps": int(steps[-1]), "log_history": history}
        (folder / "trainer_state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        # an older checkpoint with a shorter history: the reader must take the latest
        older = root / name / "checkpoint-10"
        older.mkdir()
        short = dict(state, log_history=history[:2])
        (older / "trainer_state.json").write_text(json.dumps(short), encoding="utf-8")
    return root


def write_jsonl(path: Path, *, run_key: bool = True) -> Path:
    lines = []
    for name, (steps, _, loss) in CURVES.items():
        for s, lo in zip(steps, loss, strict=True):
            obj: dict[str, Any] = {"_step": int(s), "train/loss": float(lo)}
            if run_key:
                obj["run"] = name
            lines.append(json.dumps(obj))
        if run_key:
            lines.append(json.dumps({"run": name, "summary": "done"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_jsonl_folder(root: Path) -> Path:
    root.mkdir()
    for name, (steps, _, loss) in CURVES.items():
        text = "\n".join(
            json.dumps({"step": int(s), "loss": float(lo)})
            for s, lo in zip(steps, loss, strict=True)
        )
        (root / f"{name}.jsonl").write_text(text + "\n", encoding="utf-8")
    return root


def write_tensorboard(root: Path, tag: str = "train/loss") -> Path:
    summary = pytest.importorskip(
        "tensorboard.summary", reason="the `tensorboard` extra is not installed"
    )
    for name, (steps, _, loss) in CURVES.items():
        writer = summary.Writer(str(root / name))
        for s, lo in zip(steps, loss, strict=True):
            writer.add_scalar(tag, float(lo), int(s))
            writer.add_scalar("learning_rate", 1e-3, int(s))
        writer.close()
    return root


# ---------------------------------------------------------------------- round trips
def test_wandb_wide_round_trip(tmp_path: Path) -> None:
    path = write_wide(tmp_path / "export.csv")
    runs = read_wandb_csv(
        path, n_params=re.compile(r"-(\d+M)-"), tokens_per_step=re.compile(r"bs(\d+)")
    )
    assert by_run(runs) == expected()
    assert runs.columns["loss"] == "train/loss"
    assert runs.columns["step"] == "Step"
    assert runs.derived == ("compute",)
    # C = 6 N D exactly as computed (rtol 0: the same product)
    np.testing.assert_array_equal(runs.compute, 6.0 * runs.n_params * runs.n_tokens)
    # blank cells of the shorter runs and the three step-0 rows are skipped, and counted
    n_steps = 26
    blanks = sum(n_steps - len(c[0]) for c in CURVES.values())
    assert runs.skipped == {
        "without a finite 'train/loss'": blanks,
        "at zero tokens (step 0)": 3,
    }
    assert "3 runs" in runs.summary() and f"skipped {blanks + 3} rows" in runs.summary()


def test_wandb_wide_without_companions_and_with_mapping(tmp_path: Path) -> None:
    path = write_wide(tmp_path / "export.csv", metric="loss", companions=False)
    runs = read_wandb_csv(path, n_params=N_PARAMS, tokens_per_step=TPS, layout="wide")
    assert by_run(runs) == expected()


def test_wandb_long_round_trip_sizes_from_a_column(tmp_path: Path) -> None:
    path = write_long(tmp_path / "history.csv")
    runs = read_wandb_csv(path, tokens_per_step=lambda name: TPS[name])
    assert by_run(runs) == expected()
    assert runs.columns["run_id"] == "Name"
    assert runs.columns["step"] == "_step"
    assert runs.columns["n_params"] == "num_params"
    assert runs.skipped == {"at zero tokens (step 0)": 3}


def test_trainer_state_folder_round_trip(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    runs = read_trainer_state(root, n_params=N_PARAMS, tokens_per_step=re.compile(r"bs(\d+)"))
    assert by_run(runs) == expected()
    # eval entries and the final summary entry have no `loss`: skipped and counted
    n_eval = sum(int((c[0] % 50 == 0).sum()) for c in CURVES.values())
    assert runs.skipped == {
        "without a finite 'loss'": n_eval + 3,
        "at zero tokens (step 0)": 3,
    }
    # the schedule ends at max_steps × tokens_per_step
    assert runs.schedule_end is not None and runs.run_id is not None
    for name, (steps, _, _) in CURVES.items():
        ends = runs.schedule_end[runs.run_id == name]
        assert set(ends.tolist()) == {steps[-1] * TPS[name]}


def test_trainer_state_tokens_seen_and_single_file(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs", tokens_seen=True)
    runs = read_trainer_state(root, n_params=re.compile(r"-(\d+M)-"))
    assert by_run(runs) == expected()
    assert runs.columns["n_tokens"] == "num_input_tokens_seen"
    assert runs.schedule_end is None  # no tokens per step: the schedule end is unknown
    name = "small-50M-bs8192"
    one = read_trainer_state(root / name / "checkpoint-200" / "trainer_state.json", n_params=5e7)
    assert by_run(one) == expected([name])
    folder = read_trainer_state(root / name, n_params=5e7)  # the latest checkpoint is read
    assert by_run(folder) == expected([name])


def test_trainer_state_eval_loss(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    runs = read_trainer_state(
        root, columns={"loss": "eval_loss"}, n_params=N_PARAMS, tokens_per_step=TPS
    )
    name = "tiny-20M-bs4096"
    steps, _, loss = CURVES[name]
    sel = (steps % 50 == 0) & (steps > 0)
    assert runs.run_id is not None and runs.step is not None
    np.testing.assert_array_equal(runs.step[runs.run_id == name], steps[sel])
    np.testing.assert_array_equal(runs.loss[runs.run_id == name], loss[sel] + 0.1)


def test_jsonl_round_trip_one_file_and_folder(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "history.jsonl")
    runs = read_jsonl(path, n_params=N_PARAMS, tokens_per_step=TPS)
    assert by_run(runs) == expected()
    assert runs.columns["run_id"] == "run" and runs.columns["loss"] == "train/loss"
    assert runs.skipped == {"without a finite 'train/loss'": 3, "at zero tokens (step 0)": 3}
    folder = write_jsonl_folder(tmp_path / "logs")
    runs2 = read_jsonl(folder, n_params=re.compile(r"-(\d+M)-"), tokens_per_step=TPS)
    assert by_run(runs2) == expected()
    assert runs2.columns["run_id"] == "file name"


def test_tensorboard_round_trip(tmp_path: Path) -> None:
    root = write_tensorboard(tmp_path / "tb")
    runs = read_tensorboard(root, n_params=N_PARAMS, tokens_per_step=re.compile(r"bs(\d+)"))
    assert by_run(runs) == expected()
    assert runs.columns["loss"] == "train/loss"
    assert detect_format(root) == "tensorboard"


def test_read_logs_detects_each_format(tmp_path: Path) -> None:
    specs: dict[str, Any] = {"n_params": N_PARAMS, "tokens_per_step": TPS}
    paths = {
        "wandb": write_wide(tmp_path / "export.csv"),
        "trainer_state": write_trainer_states(tmp_path / "hf"),
        "jsonl": write_jsonl(tmp_path / "h.jsonl"),
    }
    for fmt, path in paths.items():
        assert detect_format(path) == fmt
        assert by_run(read_logs(path, **specs)) == expected()
    plain = tmp_path / "plain.csv"
    save_runs({"n_params": [1e8], "n_tokens": [1e9], "loss": [3.0]}, plain)
    assert detect_format(plain) is None
    with pytest.raises(ValueError, match="not a recognised training log"):
        read_logs(plain)
    long_csv = write_long(tmp_path / "long.csv")
    runs = read_logs(long_csv, format="wandb", tokens_per_step=TPS)
    assert by_run(runs) == expected()


# ---------------------------------------------------------------------- the envelope
def test_envelope_from_trainer_state_folder_equals_arrays(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    runs = read_trainer_state(root, n_params=N_PARAMS, tokens_per_step=TPS)
    options = {"smoothing": 0, "n_grid": 200, "min_share": 0.0}
    from_logs = envelope(
        runs.run_id,
        runs.n_params,
        runs.n_tokens,
        runs.loss,
        schedule_end=runs.schedule_end,
        **options,
    )
    ids, n, d, loss, ends = [], [], [], [], []
    for name, (steps, tokens, lo) in CURVES.items():
        keep = steps > 0
        ids += [name] * int(keep.sum())
        n.append(np.full(int(keep.sum()), N_PARAMS[name]))
        d.append(tokens[keep])
        loss.append(lo[keep])
        ends.append(np.full(int(keep.sum()), tokens[-1]))
    from_arrays = envelope(
        np.array(ids),
        np.concatenate(n),
        np.concatenate(d),
        np.concatenate(loss),
        schedule_end=np.concatenate(ends),
        **options,
    )
    # same inputs in the same order: identical results, bit for bit
    np.testing.assert_array_equal(from_logs.compute, from_arrays.compute)
    np.testing.assert_array_equal(from_logs.loss_min, from_arrays.loss_min)
    np.testing.assert_array_equal(from_logs.n_params, from_arrays.n_params)
    assert from_logs.run_id.tolist() == from_arrays.run_id.tolist()
    assert from_logs.a == from_arrays.a and from_logs.b == from_arrays.b
    assert from_logs.n_runs == 3


# ---------------------------------------------------------------------- per-run numbers
def test_regex_product_of_groups(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl")
    runs = read_jsonl(path, n_params=N_PARAMS, tokens_per_step=re.compile(r"(\d+)M-bs(\d+)"))
    assert runs.run_id is not None
    name = "small-50M-bs8192"
    # with two groups the number is their product: 50 x 8192 tokens per step here
    np.testing.assert_array_equal(
        runs.n_tokens[runs.run_id == name], CURVES[name][0][1:] * 50 * 8192
    )
    assert runs.columns["tokens_per_step"] == r"pattern /(\d+)M-bs(\d+)/ on the run name"


@pytest.mark.parametrize(
    ("text", "value"),
    [("20M", 2e7), ("1.3B", 1.3e9), ("2e8", 2e8), ("512", 512.0), ("7k", 7e3), ("2T", 2e12)],
)
def test_parse_count(text: str, value: float) -> None:
    from chinchilla_laws.logs import _parse_count

    assert _parse_count(text) == value


def test_column_must_be_constant_within_a_run(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"step": 1, "loss": 3.0, "n": 1e8, "tps": 8}\n'
        '{"step": 2, "loss": 2.9, "n": 2e8}\n'
        '{"step": 3, "loss": 2.8, "n": 2e8, "tps": 8}\n',
        "utf-8",
    )
    msg = r"run 'h': 'n' \(for `n_params`\) must be the same .* from 100000000\.0 to 200000000\.0"
    with pytest.raises(ValueError, match=msg):
        read_jsonl(path, n_params="n", tokens_per_step=10)
    # a key missing on some rows is fine when the rows that have it agree
    runs = read_jsonl(path, n_params=1e8, tokens_per_step="tps")
    assert runs.n_tokens.tolist() == [8.0, 16.0, 24.0]
    assert runs.columns["tokens_per_step"] == "tps"


# ---------------------------------------------------------------------- malformed input
def test_truncated_trainer_state_is_one_clear_error(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    bad = root / "small-50M-bs8192" / "checkpoint-200" / "trainer_state.json"
    bad.write_text(bad.read_text()[:300], encoding="utf-8")
    with pytest.raises(ValueError, match=r"trainer_state.json' is not valid JSON.*truncated"):
        read_trainer_state(root, n_params=N_PARAMS, tokens_per_step=TPS)


def test_truncated_jsonl_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl")
    text = path.read_text()
    path.write_text(text[: len(text) - 20], encoding="utf-8")
    n_lines = text.count("\n")
    with pytest.raises(ValueError, match=rf"h.jsonl', line {n_lines}: not valid JSON"):
        read_jsonl(path, n_params=N_PARAMS, tokens_per_step=TPS)


def test_wide_csv_run_column_without_metric(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Step,a - loss,b\n10,3.0,2.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"export.csv' \(W&B wide layout\): column 'b' is not"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    path.write_text("Step,a - loss,b - loss__MIN\n10,3.0,2.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"run 'b' has the column 'b - loss__MIN' but not"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    path.write_text("Step,a - loss,b - acc\n10,3.0,0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"run 'b' has no 'loss' column"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)


def test_event_file_without_the_scalar_tag(tmp_path: Path) -> None:
    root = write_tensorboard(tmp_path / "tb", tag="accuracy")
    with pytest.raises(ValueError, match=r"tfevents.*\(run 'base-120M-bs16384'\) has no loss"):
        read_tensorboard(root, n_params=N_PARAMS, tokens_per_step=TPS)
    with pytest.raises(ValueError, match=r"`columns\['loss'\]` names scalar tag 'train/loss'"):
        read_tensorboard(
            root, columns={"loss": "train/loss"}, n_params=N_PARAMS, tokens_per_step=TPS
        )


def test_missing_fields_name_file_run_and_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl")
    with pytest.raises(ValueError, match=r"h.jsonl', run 'tiny-20M-bs4096': no tokens"):
        read_jsonl(path, n_params=N_PARAMS)
    with pytest.raises(ValueError, match=r"h.jsonl', run 'tiny-20M-bs4096': no model size"):
        read_jsonl(path, tokens_per_step=TPS)
    with pytest.raises(ValueError, match=r"`n_params` has no entry for run 'small-50M-bs8192'"):
        read_jsonl(path, n_params={"tiny-20M-bs4096": 1e7}, tokens_per_step=TPS)
    with pytest.raises(ValueError, match=r"pattern /xl-\(\\d\+\)/ does not match the name"):
        read_jsonl(path, n_params=re.compile(r"xl-(\d+)"), tokens_per_step=TPS)
    with pytest.raises(ValueError, match=r"matched 'bs' in the name .* not a number"):
        read_jsonl(path, n_params=re.compile(r"(bs)"), tokens_per_step=TPS)
    with pytest.raises(ValueError, match=r"`n_params` for run .* must be a positive"):
        read_jsonl(path, n_params=lambda name: -1.0, tokens_per_step=TPS)
    with pytest.raises(TypeError, match=r"`tokens_per_step` must be a number, a mapping"):
        read_jsonl(path, n_params=N_PARAMS, tokens_per_step=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`columns\['step'\]` names key 'iter'"):
        read_jsonl(path, columns={"step": "iter"}, n_params=N_PARAMS, tokens_per_step=TPS)
    steps_only = tmp_path / "s.jsonl"
    steps_only.write_text('{"loss": 3.0, "tokens": 10}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"s.jsonl', run 's': `tokens_per_step` needs the step"):
        read_jsonl(steps_only, n_params=1e8, tokens_per_step=4)
    assert read_jsonl(steps_only, n_params=1e8).n_tokens.tolist() == [10.0]


def test_other_malformed_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        read_jsonl(empty, n_params=1.0, tokens_per_step=1.0)
    not_obj = tmp_path / "a.jsonl"
    not_obj.write_text('{"loss": 1, "step": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"a.jsonl', line 2: expected a JSON object"):
        read_jsonl(not_obj, n_params=1.0, tokens_per_step=1.0)
    text_loss = tmp_path / "t.jsonl"
    text_loss.write_text('{"loss": 1, "step": 1}\n{"loss": "high", "step": 2}\n', "utf-8")
    with pytest.raises(
        ValueError, match=r"t.jsonl', line 2, 'loss': expected a number; got 'high'"
    ):
        read_jsonl(text_loss, n_params=1.0, tokens_per_step=1.0)
    no_history = tmp_path / "trainer_state.json"
    no_history.write_text('{"global_step": 3}', encoding="utf-8")
    with pytest.raises(ValueError, match="has no `log_history` list"):
        read_trainer_state(no_history, n_params=1.0, tokens_per_step=1.0)
    folder = tmp_path / "mixed"
    (folder / "run-a").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"folder .*run-a' has no trainer_state.json"):
        read_trainer_state(folder, n_params=1.0, tokens_per_step=1.0)
    ragged = tmp_path / "r.csv"
    ragged.write_text("Step,a - loss\n10,3.0,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"r.csv', line 2: expected 2 fields"):
        read_wandb_csv(ragged, n_params=1.0, tokens_per_step=1.0)
    two_losses = tmp_path / "two.jsonl"
    two_losses.write_text('{"train_loss": 3, "val_loss": 3.1, "step": 1}\n', "utf-8")
    with pytest.raises(ValueError, match=r"several keys that could be `loss`"):
        read_jsonl(two_losses, n_params=1.0, tokens_per_step=1.0)
    with pytest.raises(ValueError, match="does not exist"):
        read_jsonl(tmp_path / "nope.jsonl", n_params=1.0, tokens_per_step=1.0)


def test_tensorboard_import_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'chinchilla_laws\[tensorboard\]'"):
        read_tensorboard(tmp_path, n_params=1.0, tokens_per_step=1.0)


def test_progress_is_called_per_run(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    calls: list[tuple[int, int]] = []
    read_trainer_state(
        root, n_params=N_PARAMS, tokens_per_step=TPS, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


# ---------------------------------------------------------------------- where / group_by
TABLE = (
    "dataset,N,D,loss,keep\n"
    "a,1e8,1e9,3.1,True\n"
    "b,1e8,1e9,3.0,true\n"
    "a,2e8,1e9,2.9,False\n"
    "b,2e8,oops,2.8,False\n"
    "a,4e8,1e9,2.7,TRUE\n"
)


def test_where_filters_before_parsing() -> None:
    # row 4 has a bad D but is filtered out, so it is never parsed
    runs = load_runs(io.StringIO(TABLE), where={"keep": True})
    assert runs.loss.tolist() == [3.1, 3.0, 2.7]
    assert runs.skipped == {"not matching where keep=True": 2}
    assert "skipped 2 rows: 2 not matching where keep=True" in runs.summary()
    only = load_runs(io.StringIO(TABLE), where={"dataset": "a", "N": ["1e8", 4e8]})
    assert only.loss.tolist() == [3.1, 2.7]
    call = load_runs(io.StringIO(TABLE), where=lambda row: row["keep"].lower() == "true")
    assert call.loss.tolist() == [3.1, 3.0, 2.7]
    with pytest.raises(ValueError, match=r"line 5 \(row 4\), column 'D'"):
        load_runs(io.StringIO(TABLE), where={"dataset": "b"})


def test_group_by_returns_one_runs_per_value() -> None:
    groups = load_runs(io.StringIO(TABLE), group_by="dataset", where={"keep": "true"})
    assert list(groups) == ["a", "b"]
    assert groups["a"].loss.tolist() == [3.1, 2.7]
    assert groups["b"].loss.tolist() == [3.0]
    assert groups["a"].source.endswith("[dataset=a]")
    # each group counts its own rows that `where` left out (a: 1 of 3, b: 1 of 2)
    assert groups["a"].skipped == {"not matching where keep='true'": 1}
    assert groups["b"].skipped == {"not matching where keep='true'": 1}
    frame = {"g": np.array([2, 1, 2]), "N": [1e8, 2e8, 3e8], "D": [1e9] * 3, "loss": [3, 2, 1]}
    by_g = load_runs(frame, group_by="g")
    assert list(by_g) == ["2", "1"]
    assert by_g["2"].n_params.tolist() == [1e8, 3e8]
    assert by_g["2"].skipped == {} and by_g["1"].skipped == {}
    masked = load_runs(frame, where={"g": 2.0}, group_by="G")  # names match case-insensitively
    assert list(masked) == ["2"] and masked["2"].loss.tolist() == [3.0, 1.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"where": {"nope": 1}}, ValueError, r"`where` names column 'nope'"),
        ({"where": {"keep": "maybe"}}, ValueError, r"`where` keeps none of the 5 rows"),
        ({"where": {}}, ValueError, r"`where` must name at least one column"),
        ({"where": ["keep"]}, TypeError, r"`where` must be a mapping"),
        ({"where": {1: "a"}}, TypeError, r"`where` keys must be column names"),
        ({"group_by": 3}, TypeError, r"`group_by` must be a column name"),
        ({"group_by": "nope"}, ValueError, r"`group_by` names column 'nope'"),
    ],
)
def test_where_and_group_by_errors(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        load_runs(io.StringIO(TABLE), **kwargs)


@pytest.mark.parametrize(
    ("cell", "wanted", "hit"),
    [
        ("2048", 2048, True),
        ("2048.0", "2048", True),
        ("2048", 2049, False),
        ("True", True, True),
        ("false", "False", True),
        ("False", True, False),
        ("dclm", "dclm", True),
        ("dclm", "DCLM", False),
        (" x ", "x", True),
        ("nan", math.nan, True),
        ("3", ["1", "3"], True),
        (np.True_, "true", True),
        ("yes", "no", False),
    ],
)
def test_where_matching(cell: Any, wanted: Any, hit: bool) -> None:
    from chinchilla_laws._select import matches

    assert matches(cell, wanted) is hit


def test_step_column_round_trips_through_save_runs(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl")
    runs = read_jsonl(path, n_params=N_PARAMS, tokens_per_step=TPS)
    save_runs(runs, tmp_path / "out.csv")
    back = load_runs(tmp_path / "out.csv")
    assert back.step is not None and runs.step is not None
    np.testing.assert_array_equal(back.step, runs.step)
    np.testing.assert_array_equal(back.loss, runs.loss)
    assert back.run_id is not None and runs.run_id is not None
    assert back.run_id.tolist() == runs.run_id.tolist()
    bad = tmp_path / "neg.csv"
    bad.write_text("N,D,loss,step\n1e8,1e9,3.0,-1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"`step` must be a non-negative"):
        load_runs(bad)


# ---------------------------------------------------------------------- fast paths = slow paths
def test_wide_csv_fast_and_csv_module_paths_agree(tmp_path: Path) -> None:
    path = write_wide(tmp_path / "export.csv")
    crlf = tmp_path / "crlf.csv"  # CRLF line ends take the csv-module path
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    specs: dict[str, Any] = {"n_params": N_PARAMS, "tokens_per_step": TPS}
    fast, slow = read_wandb_csv(path, **specs), read_wandb_csv(crlf, **specs)
    assert by_run(fast) == by_run(slow) == expected()
    assert fast.skipped == slow.skipped
    bad = tmp_path / "bad.csv"
    bad.write_text("Step,a - loss\n10,3.0\n20,n/a\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv', line 3, 'a - loss': expected a number"):
        read_wandb_csv(bad, n_params=1.0, tokens_per_step=1.0)


def test_jsonl_with_and_without_orjson_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "h.jsonl")
    specs: dict[str, Any] = {"n_params": N_PARAMS, "tokens_per_step": TPS}
    first = read_jsonl(path, **specs)
    monkeypatch.setitem(sys.modules, "orjson", None)  # the standard library's json
    second = read_jsonl(path, **specs)
    assert by_run(first) == by_run(second) == expected()
    gappy = tmp_path / "gaps.jsonl"  # blank lines: parsed line by line, numbered as in the file
    gappy.write_text(path.read_text().replace("\n", "\n\n", 3), encoding="utf-8")
    assert by_run(read_jsonl(gappy, **specs)) == expected()
    gappy.write_text('{"step": 1, "loss": 3}\n\n{"step": 2, "loss": }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"gaps.jsonl', line 3: not valid JSON"):
        read_jsonl(gappy, **specs)


def test_tensorboard_simple_values_as_pytorch_writes_them(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="the `tensorboard` extra is not installed")
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    for name, (steps, _, loss) in CURVES.items():
        writer = EventFileWriter(str(tmp_path / "tb" / name))
        for s, lo in zip(steps, loss, strict=True):
            value = summary_pb2.Summary.Value(tag="Loss/train", simple_value=float(lo))
            event = event_pb2.Event(step=int(s), summary=summary_pb2.Summary(value=[value]))
            writer.add_event(event)
        writer.close()
    runs = read_tensorboard(
        tmp_path / "tb", columns={"loss": "Loss/train"}, n_params=N_PARAMS, tokens_per_step=TPS
    )
    assert by_run(runs) == expected()


def test_trainer_state_numbers_from_the_state_file(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "runs")
    for name in SPEC:
        path = root / name / f"checkpoint-{int(CURVES[name][0][-1])}" / "trainer_state.json"
        state = json.loads(path.read_text())
        state["tokens_per_step"] = TPS[name]  # a top-level key, not a log_history key
        path.write_text(json.dumps(state), encoding="utf-8")
    runs = read_trainer_state(root, n_params=N_PARAMS, tokens_per_step="tokens_per_step")
    assert by_run(runs) == expected()
    msg = r"`n_params` names key 'n_layers', which file .*base-120M-bs16384.* does not have"
    with pytest.raises(ValueError, match=msg):
        read_trainer_state(root, n_params="n_layers", tokens_per_step="tokens_per_step")


# ---------------------------------------------------------------------- details round trips miss
def test_numbers_fast_reads_blank_cells_as_nan_and_declines_irregular_files() -> None:
    from chinchilla_laws.logs import _numbers_fast

    text = "Step,a - loss,b - loss\n1,,2.5\n2,3.5,\n,4.5,5.5\n"
    out = _numbers_fast(text, 3, [0, 1, 2])
    assert out is not None
    np.testing.assert_array_equal(
        out, [[1.0, math.nan, 2.5], [2.0, 3.5, math.nan], [math.nan, 4.5, 5.5]]
    )
    only = _numbers_fast("Step,a - loss,b - loss\n1,,\n2,,\n", 3, [0, 2])
    assert only is not None and only.shape == (2, 2) and np.isnan(only[:, 1]).all()
    assert _numbers_fast("Step,a - loss\n1,2\n2,3\n\n", 2, [1]) is not None  # a final newline
    for irregular in (
        'Step,a - loss\n1,"2"\n',  # quotes
        "Step,a - loss\r\n1,2\r\n",  # CRLF
        "Step,a - loss\n1,2\n\n2,3\n",  # a blank line inside
        "Step,a - loss\n1,2,3\n",  # more fields than the header
        "Step,a - loss\n1,x\n",  # text
        "Step,a - loss\n",  # no rows
    ):
        assert _numbers_fast(irregular, 2, [0, 1]) is None, irregular


def test_wide_companion_columns_and_forced_layouts(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Step,a - loss,b - loss__MAX\n10,3.0,2.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"run 'b' has the column 'b - loss__MAX' but not"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    wide_looking = tmp_path / "long.csv"  # a long table whose metric name has " - " in it
    wide_looking.write_text("run,step,loss,eval - loss\nr,1,3.0,3.1\nr,2,2.9,3.0\n", "utf-8")
    runs = read_wandb_csv(wide_looking, layout="long", n_params=1e8, tokens_per_step=10)
    assert runs.loss.tolist() == [3.0, 2.9] and runs.columns["run_id"] == "run"
    with pytest.raises(ValueError, match=r"`layout` must be 'auto', 'long' or 'wide'"):
        read_wandb_csv(path, layout="tall", n_params=1e8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="column 'run' is not '<run name> - <metric>'"):
        read_wandb_csv(wide_looking, layout="wide", n_params=1e8, tokens_per_step=10)
    no_step = tmp_path / "nostep.csv"
    no_step.write_text("Time,a - loss\n10,3.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\(W&B wide layout\) has no step column"):
        read_wandb_csv(no_step, n_params=1e8, tokens_per_step=10)


def test_long_csv_through_the_csv_module(tmp_path: Path) -> None:
    # quoted run names with commas, a blank line and a whitespace-only line
    path = tmp_path / "history.csv"
    path.write_text(
        'Name,_step,loss\n"a, 70M",1,3.0\n\n"a, 70M",2,2.9\n   \n" b ",1,3.5\nb,2,3.4\n',
        encoding="utf-8",
    )
    runs = read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    assert by_run(runs) == {
        "a, 70M": ([1.0, 2.0], [10.0, 20.0], [3.0, 2.9], [1e8]),
        "b": ([1.0, 2.0], [10.0, 20.0], [3.5, 3.4], [1e8]),  # " b " and "b" are one run
    }
    assert runs.source == str(path)
    path.write_text('Name,_step,loss\n"a",1,3.0\n"a",2\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"history.csv', line 3: expected 3 fields"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty: no header row"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)
    path.write_text("Name,_step,loss\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has a header but no data rows"):
        read_wandb_csv(path, n_params=1e8, tokens_per_step=10)


def test_run_names_in_a_run_column(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"run": "a", "step": 1, "loss": 3.0}\n{"step": 2, "note": "no run, no loss"}\n'
        '{"run": "a", "step": 2, "loss": 2.9}\n',
        encoding="utf-8",
    )
    runs = read_jsonl(path, n_params=1e8, tokens_per_step=10)
    assert runs.run_id is not None and runs.run_id.tolist() == ["a", "a"]
    path.write_text('{"run": "a", "step": 1, "loss": 3.0}\n{"step": 2, "loss": 2.9}\n', "utf-8")
    with pytest.raises(ValueError, match=r"h.jsonl', line 2: no run name in 'run' on a row"):
        read_jsonl(path, n_params=1e8, tokens_per_step=10)
    path.write_text('{"run": ["a"], "step": 1, "loss": 3.0}\n', encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"run names in 'run' must be text or numbers; got \['a'\]"
    ):
        read_jsonl(path, n_params=1e8, tokens_per_step=10)
    path.write_text('{"step": 1, "acc": 0.5}\n', encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"h.jsonl' has no loss key .* its keys are \['step', 'acc'\]"
    ):
        read_jsonl(path, n_params=1e8, tokens_per_step=10)
    path.write_text('{"step": 1, "loss": 3.0}, {"step": 2, "loss": 2.9}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"h.jsonl', line 1: not valid JSON"):
        read_jsonl(path, n_params=1e8, tokens_per_step=10)


def test_schedule_end_source_and_compute_in_every_reader(tmp_path: Path) -> None:
    ends = {name: float(CURVES[name][1][-1]) for name in SPEC}
    paths: dict[str, Path] = {
        "wandb": write_wide(tmp_path / "export.csv"),
        "jsonl": write_jsonl(tmp_path / "h.jsonl"),
        "trainer_state": write_trainer_states(tmp_path / "hf"),
    }
    for fmt, path in paths.items():
        runs = read_logs(
            path,
            format=fmt,
            n_params=N_PARAMS,
            tokens_per_step=TPS,
            schedule_end=ends,
            flops_per_param_token=6.0 if fmt != "jsonl" else 8.0,
        )
        assert runs.source == str(path)
        assert runs.schedule_end is not None and runs.run_id is not None
        assert [ends[r] for r in runs.run_id.tolist()] == runs.schedule_end.tolist()
        assert runs.columns["schedule_end"] == "mapping by run"
        k = 6.0 if fmt != "jsonl" else 8.0
        np.testing.assert_array_equal(runs.compute, k * runs.n_params * runs.n_tokens)
        assert runs.flops_per_param_token == k
    default = read_jsonl(paths["jsonl"], n_params=N_PARAMS, tokens_per_step=TPS)
    np.testing.assert_array_equal(default.compute, 6.0 * default.n_params * default.n_tokens)
    assert default.schedule_end is None
    # the Trainer's max_steps gives the schedule's end only when every run has it
    state_file = paths["trainer_state"] / "tiny-20M-bs4096" / "checkpoint-250"
    state_file /= "trainer_state.json"
    state = json.loads(state_file.read_text())
    del state["max_steps"]
    state_file.write_text(json.dumps(state), encoding="utf-8")
    partial = read_trainer_state(paths["trainer_state"], n_params=N_PARAMS, tokens_per_step=TPS)
    assert partial.schedule_end is None and "schedule_end" not in partial.columns


def test_folders_of_logs(tmp_path: Path) -> None:
    root = write_trainer_states(tmp_path / "hf")
    (root / ".cache").mkdir()  # hidden folders are not runs
    runs = read_trainer_state(root, n_params=N_PARAMS, tokens_per_step=TPS)
    assert runs.columns["run_id"] == "folder name" and runs.n_runs == 3
    with pytest.raises(ValueError, match="`columns` cannot name `run_id` here"):
        read_trainer_state(root, columns={"run_id": "x"}, n_params=1.0, tokens_per_step=1.0)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"has no trainer_state\.json and no run folders"):
        read_trainer_state(empty, n_params=1.0, tokens_per_step=1.0)
    with pytest.raises(ValueError, match=r"is a folder without \.jsonl or \.ndjson files"):
        read_jsonl(empty, n_params=1.0, tokens_per_step=1.0)
    folder = write_jsonl_folder(tmp_path / "logs")
    first = sorted(folder.iterdir())[0]
    first.rename(first.with_suffix(".ndjson"))
    (folder / "notes.txt").write_text("not a log", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    runs = read_jsonl(
        folder,
        n_params=N_PARAMS,
        tokens_per_step=TPS,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert by_run(runs) == expected(sorted(SPEC))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    twice = tmp_path / "twice"
    twice.mkdir()
    for stem in ("a", "b"):
        (twice / f"{stem}.jsonl").write_text('{"run": "r", "step": 1, "loss": 3}\n', "utf-8")
    with pytest.raises(ValueError, match=r"run 'r' appears twice: in file .*a.jsonl' and in"):
        read_jsonl(twice, n_params=1.0, tokens_per_step=1.0)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.jsonl").write_text('{"step": 1, "loss": 3}\n', "utf-8")
    (mixed / "b.jsonl").write_text('{"step": 1, "val_loss": 3}\n', "utf-8")
    with pytest.raises(ValueError, match=r"b.jsonl' names `loss` 'val_loss' where the files"):
        read_jsonl(mixed, n_params=1.0, tokens_per_step=1.0)


def test_latest_checkpoint_is_read(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for step in (5, 40, 300):  # numeric order, not text order ("300" < "40" as text)
        folder = run / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        history = [{"step": s, "loss": 3.0} for s in range(1, step + 1, max(1, step // 5))]
        state = {"log_history": history, "max_steps": 300}
        (folder / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    runs = read_trainer_state(run, n_params=1e8, tokens_per_step=2.0)
    assert runs.step is not None and runs.step.max() == 241.0
    assert runs.schedule_end is not None and set(runs.schedule_end.tolist()) == {600.0}
