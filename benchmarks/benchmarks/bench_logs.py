"""asv benchmarks of reading training logs: 1,000 runs x 1,000 logged steps.

Targets (issue 17): a W&B wide CSV export in <= 2 s, JSON Lines in <= 5 s with the
standard library's json. The files are written once per benchmark run (``setup_cache``)
into asv's working directory; nothing is generated inside ``time_*``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np

import chinchilla_laws as cl
from chinchilla_laws.logs import read_jsonl, read_wandb_csv

N_RUNS = 1000
N_STEPS = 1000
PATTERN_N = re.compile(r"-n(\d+)-")
PATTERN_TPS = re.compile(r"-bs(\d+)$")


def _curves(n_runs: int = N_RUNS, n_steps: int = N_STEPS) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    sizes = np.exp(rng.uniform(np.log(1e7), np.log(1e10), n_runs)).round()
    names = [f"run{i:04d}-n{int(n)}-bs{2**19}" for i, n in enumerate(sizes)]
    tokens = np.arange(1, n_steps + 1)[None, :] * float(2**19)
    loss = cl.HOFFMANN_2022_TEX.loss(sizes[:, None], tokens)
    return names, loss


def write_wide(path: Path, n_runs: int = N_RUNS, n_steps: int = N_STEPS) -> Path:
    """A W&B panel export: Step, then '<run> - loss' with __MIN/__MAX per run."""
    names, loss = _curves(n_runs, n_steps)
    header = ["Step"]
    for name in names:
        header += [f"{name} - loss", f"{name} - loss__MIN", f"{name} - loss__MAX"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for j in range(n_steps):
            row = [str(j + 1)]
            for i in range(n_runs):
                cell = repr(float(loss[i, j]))
                row += [cell, cell, cell]
            w.writerow(row)
    return path


def write_jsonl(path: Path, n_runs: int = N_RUNS, n_steps: int = N_STEPS) -> Path:
    """One object per run and step: {"run", "step", "loss"}."""
    names, loss = _curves(n_runs, n_steps)
    with path.open("w", encoding="utf-8") as fh:
        for i, name in enumerate(names):
            for j in range(n_steps):
                fh.write(json.dumps({"run": name, "step": j + 1, "loss": float(loss[i, j])}))
                fh.write("\n")
    return path


class ReadLogs:
    """Reading 1,000 runs x 1,000 steps (targets: wide CSV <= 2 s, JSONL <= 5 s)."""

    timeout = 300
    number = 1
    repeat = 3

    def setup_cache(self) -> dict[str, str]:
        here = Path.cwd()
        return {
            "wide": str(write_wide(here / "bench_wide.csv")),
            "jsonl": str(write_jsonl(here / "bench.jsonl")),
        }

    def time_wandb_wide_csv(self, paths: dict[str, str]) -> None:
        read_wandb_csv(paths["wide"], n_params=PATTERN_N, tokens_per_step=PATTERN_TPS)

    def time_jsonl(self, paths: dict[str, str]) -> None:
        read_jsonl(paths["jsonl"], n_params=PATTERN_N, tokens_per_step=PATTERN_TPS)

    def peakmem_wandb_wide_csv(self, paths: dict[str, str]) -> None:
        read_wandb_csv(paths["wide"], n_params=PATTERN_N, tokens_per_step=PATTERN_TPS)


def main() -> None:
    """Best-of-3 wall and CPU times of each reader (``python bench_logs.py``)."""
    import sys
    import tempfile
    import time

    def best(fn: object) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            fn()  # type: ignore[operator]
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        return min(walls), min(cpus)

    with tempfile.TemporaryDirectory() as tmp:
        wide = write_wide(Path(tmp) / "wide.csv")
        lines = write_jsonl(Path(tmp) / "runs.jsonl")
        specs = {"n_params": PATTERN_N, "tokens_per_step": PATTERN_TPS}
        rows = [("W&B wide CSV", best(lambda: read_wandb_csv(wide, **specs)))]
        try:
            import orjson  # noqa: F401

            rows.append(("JSON Lines, orjson", best(lambda: read_jsonl(lines, **specs))))
        except ImportError:
            pass
        sys.modules["orjson"] = None  # type: ignore[assignment]
        rows.append(("JSON Lines, json", best(lambda: read_jsonl(lines, **specs))))
    print(f"reading {N_RUNS} runs x {N_STEPS} steps (best of 3)")
    for name, (wall, cpu) in rows:
        print(f"  {name:20s} wall {wall:6.2f} s   cpu {cpu:6.2f} s")


if __name__ == "__main__":
    main()
