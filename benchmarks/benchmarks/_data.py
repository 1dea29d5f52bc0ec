"""Benchmark data: the Epoch set when ../shared/data is present, else a synthetic stand-in."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import chinchilla_laws as cl


def _find_data() -> Path | None:
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "shared" / "data" / "chinchilla_epoch_reconstruction.csv"
        if cand.exists():
            return cand
    return None


def epoch240() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch AI's 240 points (N, D = C/6N, loss); a 240-point synthetic sweep without them."""
    path = _find_data()
    if path is None:
        rng = np.random.default_rng(0)
        n = np.exp(rng.uniform(np.log(6e7), np.log(1.6e10), 240))
        d = np.exp(rng.uniform(np.log(2.5e8), np.log(3e11), 240))
        loss = cl.BESIROGLU_2024.loss(n, d) * np.exp(0.01 * rng.standard_normal(240))
        return n, d, loss
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    keep = loss < np.sort(loss)[-5]
    return n[keep], (c / (6 * n))[keep], loss[keep]


def synthetic(n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = np.exp(rng.uniform(np.log(6e7), np.log(1.6e10), n_points))
    d = np.exp(rng.uniform(np.log(2.5e8), np.log(3e11), n_points))
    loss = cl.BESIROGLU_2024.loss(n, d) * np.exp(0.01 * rng.standard_normal(n_points))
    return n, d, loss
