"""Time the JAX backend of :func:`chinchilla_laws.fit_parametric` on the Epoch data.

Run as a plain script (``python benchmarks/bench_jax.py``; needs the ``jax`` extra).
It fits the 240-point reconstruction of Chinchilla's data (Besiroglu et al. 2024,
the 5 highest losses dropped) from the paper's 4,500-start grid and prints, for
the JAX backend, the compile time (``jit(...).lower(...).compile()``) apart from
the run time of the compiled solve, with the Numba backend timed in the same
process as the baseline. ``--stride k`` keeps every k-th start of the grid.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from chinchilla_laws import _jax as jx
from chinchilla_laws import fit_parametric, paper_grid
from chinchilla_laws.parametric import _prepare

__all__ = ["load_epoch", "time_jax"]

DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "chinchilla_epoch_reconstruction.csv"
)


def load_epoch(path: Path = DATA) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N, D, loss)`` of the Epoch reconstruction, D = C / (6 N), 5 top losses dropped."""
    t = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8", comments=None)
    n = np.asarray(t["Model_Size"], dtype=np.float64)
    c = np.asarray(t["Training_FLOP"], dtype=np.float64)
    loss = np.asarray(t["loss"], dtype=np.float64)
    keep = loss < np.sort(loss)[-5]
    return n[keep], c[keep] / (6.0 * n[keep]), loss[keep]


def time_jax(starts: np.ndarray, max_iter: int = 1000, gtol: float = 1e-7) -> dict[str, float]:
    """Compile and run the vmapped solve once; return timings and the best objective."""
    n, d, loss = load_epoch()
    data = _prepare(n, d, loss, delta=1e-3, reduction="sum", weights=None)
    w = data.objective_weights(data.weights)[None, :]
    g_abs = data.abs_gtol(gtol, data.weights)
    u0 = data.scaling.to_u(starts)
    index = np.zeros(u0.shape[0], dtype=np.int64)
    solver = jx._batched_solver()
    with jx._x64():
        args = jx._device_args(u0, w, index, data, max_iter, g_abs)
        t0 = time.perf_counter()
        compiled = solver.lower(*args).compile()
        t1 = time.perf_counter()
        out = jx._load().jax.block_until_ready(compiled(*args))
        t2 = time.perf_counter()
    f = np.asarray(out.f)
    nit = np.asarray(out.nit)
    status = jx._statuses(jx._Exit(*(np.asarray(a) for a in out)), g_abs)
    return {
        "compile_s": t1 - t0,
        "run_s": t2 - t1,
        "objective": float(np.min(f[np.isfinite(f)])),
        "max_nit": float(nit.max()),
        "converged": float(np.mean(status == 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stride", type=int, default=1, help="keep every k-th grid start")
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args()
    starts = paper_grid()[:: args.stride]
    n, d, loss = load_epoch()
    print(f"Epoch data: {n.size} points; {starts.shape[0]} starts; max_iter {args.max_iter}")

    fit_parametric(n, d, loss, starts=starts[:2], warn=False)  # warm the Numba JIT
    t0 = time.perf_counter()
    nb = fit_parametric(n, d, loss, starts=starts, max_iter=args.max_iter, warn=False)
    t_nb = time.perf_counter() - t0
    print(f"numba (abandon=True): {t_nb:8.3f} s   objective {nb.objective:.12e}")

    r = time_jax(starts, max_iter=args.max_iter)
    print(
        f"jax compile:          {r['compile_s']:8.3f} s\n"
        f"jax run:              {r['run_s']:8.3f} s   objective {r['objective']:.12e}"
        f"   (max nit {r['max_nit']:.0f}, converged {100 * r['converged']:.1f} %)"
    )
    rel = abs(r["objective"] - nb.objective) / nb.objective
    print(f"ratio run jax/numba:  {r['run_s'] / t_nb:8.2f}   objective rel. diff {rel:.2e}")


if __name__ == "__main__":
    main()
