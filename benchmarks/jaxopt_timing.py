"""Time ``backend="jaxopt"`` against ``"jax"`` and ``"numba"`` on 45 Epoch starts (warm).

Run from the repository root: ``PYTHONPATH=. python benchmarks/jaxopt_timing.py``.
Prints, per backend, the first (compiling) fit's wall time, the best wall time of
three warm fits of the 240-point Epoch set from the 45-start subset
``paper_grid()[::100]``, the objective reached and its difference to Numba's.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

import chinchilla_laws as cl

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def epoch240() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with (DATA / "chinchilla_epoch_reconstruction.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    n = np.array([r["Model Size"] for r in rows], dtype=float)
    c = np.array([r["Training FLOP"] for r in rows], dtype=float)
    loss = np.array([r["loss"] for r in rows], dtype=float)
    keep = loss < np.sort(loss)[-5]
    return n[keep], (c / (6.0 * n))[keep], loss[keep]


def main() -> None:
    data = epoch240()
    starts = cl.paper_grid()[::100]
    ref = None
    for backend in ("numba", "jax", "jaxopt"):
        t0 = time.perf_counter()
        fit = cl.fit_parametric(*data, starts=starts, backend=backend, warn=False)
        first = time.perf_counter() - t0
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            fit = cl.fit_parametric(*data, starts=starts, backend=backend, warn=False)
            best = min(best, time.perf_counter() - t0)
        ref = fit.objective if ref is None else ref
        print(
            f"{backend:7s} first {first:7.2f} s  warm {best:7.3f} s  "
            f"objective {fit.objective:.12e} (relative to numba {fit.objective / ref - 1:+.1e})  "
            f"converged {int(np.sum(fit.start_status == 0))}/45"
        )


if __name__ == "__main__":
    main()
