"""Ratios of chinchilla_laws against plain-scipy baselines, measured in one run.

    python benchmarks/compare.py [--baseline-starts 30] [--baseline-resamples 20] [--skip-jax]
                                 [--skip-cold] [--cold-families] [--v01 PATH]

``--v01 PATH`` also times the Epoch full grid with the package found under PATH
(e.g. a ``git worktree`` of the 0.1 commit), in fresh processes alternating with
this checkout, and prints the ratio (the no-regression check of issue 12).
``--cold-families`` times each law family's first fit (compilation included) in one
fresh process with an empty Numba cache.

Absolute times on shared machines are noise; the ratios are the signal. Each
baseline is timed on a subset and extrapolated linearly (stated in the output).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber

# this checkout's package (not whatever an editable install points at), and its benchmark data
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chinchilla_laws as cl
from benchmarks._data import epoch240


def scipy_objective(theta, log_n, log_d, log_l, w, delta=1e-3):
    a, b, e, alpha, beta = theta
    pred = np.logaddexp(np.logaddexp(a - alpha * log_n, b - beta * log_d), e)
    return float(np.sum(w * huber(delta, pred - log_l)))


def scipy_gradient(theta, log_n, log_d, log_l, w, delta=1e-3):
    a, b, e, alpha, beta = theta
    p = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    lse = np.logaddexp(np.logaddexp(p[0], p[1]), p[2])
    soft = np.exp(p - lse)
    c = w * np.clip(lse - log_l, -delta, delta)
    return np.array(
        [
            c @ soft[0],
            c @ soft[1],
            c @ soft[2],
            -(c * log_n) @ soft[0],
            -(c * log_d) @ soft[1],
        ]
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cold_start_seconds() -> tuple[float, float]:
    """First fit in a fresh process with an empty JIT cache, then in a second process."""
    code = textwrap.dedent(
        f"""
        import time
        t0 = time.perf_counter()
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        import chinchilla_laws as cl
        from benchmarks._data import epoch240
        cl.fit_parametric(*epoch240(), warn=False)
        print(time.perf_counter() - t0)
        """
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out.append(float(res.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


FAMILY_COLD_SCRIPT = """
import resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import chinchilla_laws as cl
from benchmarks._data import epoch240
n, d, loss = epoch240()
print("import", time.perf_counter() - t0, cpu() - c0)
fits = [
    ("chinchilla", lambda: cl.fit_parametric(n, d, loss, warn=False)),
    ("kaplan", lambda: cl.fit_parametric(n, d, loss, family="kaplan", warn=False)),
    ("overtraining", lambda: cl.fit_parametric(n, d, loss, family="overtraining", warn=False)),
    ("saturating", lambda: cl.fit_law("saturating", {{"compute": 6 * n * d, "loss": loss}},
                                      warn=False)),
]
for name, fit in fits:
    t, c = time.perf_counter(), cpu()
    fit()
    first = (time.perf_counter() - t, cpu() - c)
    t, c = time.perf_counter(), cpu()
    fit()
    print(name, *first, time.perf_counter() - t, cpu() - c)
"""


def family_cold_rows() -> None:
    """Per family: the first fit in one fresh process with an empty cache, and a second fit."""
    code = FAMILY_COLD_SCRIPT.format(root=str(ROOT), bench=str(Path(__file__).resolve().parent))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    print("Fresh process, empty cache, families in turn (wall s / CPU s; load "
          f"{os.getloadavg()[0]:.1f})")  # fmt: skip
    for line in res.stdout.strip().splitlines():
        name, *vals = line.split()
        v = [float(x) for x in vals]
        if name == "import":
            print(f"  import chinchilla_laws: {v[0]:6.2f} / {v[1]:5.2f}")
        else:
            print(f"  {name:13s} first fit (compilation included): {v[0]:6.2f} / {v[1]:5.2f}"
                  f"   second fit: {v[2]:6.2f} / {v[3]:5.2f}")  # fmt: skip


def jax_fresh_process_seconds() -> tuple[float, float]:
    """Import, compilation and the first full-grid JAX fit in a fresh process: wall, CPU."""
    code = textwrap.dedent(
        f"""
        import resource
        import time
        t0 = time.perf_counter()
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        import chinchilla_laws as cl
        from benchmarks._data import epoch240
        cl.fit_parametric(*epoch240(), backend="jax", warn=False)
        r = resource.getrusage(resource.RUSAGE_SELF)
        print(time.perf_counter() - t0, r.ru_utime + r.ru_stime)
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu = res.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def cpu_of(fn) -> float:
    """CPU seconds of this process (all threads) spent in ``fn()``: robust to other load."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def jax_rows(n, d, loss, numba_grid: float, numba_boot: float, fit) -> None:
    """The JAX backend against the Numba backend, same data, same process."""
    try:
        import jax
    except ImportError:
        print("JAX backend: jax is not installed (pip install 'chinchilla_laws[jax]'); skipped")
        return
    fresh, fresh_cpu = jax_fresh_process_seconds()
    cl.fit_parametric(n, d, loss, backend="jax", warn=False)  # compile every bucket size
    warm = best_of(lambda: cl.fit_parametric(n, d, loss, backend="jax", warn=False))
    warm_cpu = cpu_of(lambda: cl.fit_parametric(n, d, loss, backend="jax", warn=False))
    fj = cl.fit_parametric(n, d, loss, backend="jax", warn=False)
    rel = abs(fj.objective - fit.objective) / fit.objective
    cl.bootstrap_parametric(n, d, loss, n_resamples=4000, rng=0, fit=fit, backend="jax")
    boot = best_of(
        lambda: cl.bootstrap_parametric(
            n, d, loss, n_resamples=4000, rng=0, fit=fit, backend="jax"
        ),
        repeat=2,
    )
    print(f"JAX backend ({jax.devices()[0].platform}), 240 Epoch points; load {os.getloadavg()}")
    print(
        f"  full grid, warm:               {warm:8.3f} s   objective {fj.objective:.10e} "
        f"(rel. diff to numba {rel:.1e}); numba/jax time ratio {numba_grid / warm:.2f}"
    )
    print(f"    CPU time of one warm full-grid fit (all threads): {warm_cpu:6.2f} s")
    print(
        f"  fresh process, import + compile + first full-grid fit: {fresh:6.2f} s "
        f"(CPU {fresh_cpu:.2f} s)"
    )
    print(
        f"  bootstrap, 4,000 resamples:    {boot:8.3f} s   numba/jax time ratio "
        f"{numba_boot / boot:.2f}"
    )


GRID_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import chinchilla_laws as cl
from benchmarks._data import epoch240
data = epoch240()
cl.fit_parametric(*data, warn=False)  # JIT warm-up (and cache fill)
times = []
for _ in range({repeat}):
    t0 = time.perf_counter()
    fit = cl.fit_parametric(*data, warn=False)
    times.append(time.perf_counter() - t0)
print(min(times), fit.objective, cl.__file__)
"""


def grid_seconds(root: Path, repeat: int = 3) -> tuple[float, float]:
    """Best-of-``repeat`` full-grid time and objective of the package under ``root``."""
    code = GRID_SCRIPT.format(
        root=str(root), bench=str(Path(__file__).resolve().parent), repeat=repeat
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    t, f, where = res.stdout.strip().splitlines()[-1].split()
    if not where.startswith(str(root)):
        raise RuntimeError(f"imported {where}, not the package under {root}")
    return float(t), float(f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-starts", type=int, default=30)
    parser.add_argument("--baseline-resamples", type=int, default=20)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-jax", action="store_true")
    parser.add_argument(
        "--cold-families", action="store_true", help="compilation cost of each family's first fit"
    )
    parser.add_argument("--v01", type=Path, default=None, help="checkout of version 0.1")
    args = parser.parse_args()

    if args.v01 is not None:
        here = Path(__file__).resolve().parents[1]
        ours_t, old_t = [], []
        for _ in range(3):  # alternate, so that load on a shared machine hits both
            ours_t.append(grid_seconds(here)[0])
            old_t.append(grid_seconds(args.v01)[0])
        print("Epoch full grid, this checkout vs version 0.1 (fresh processes, warm JIT)")
        print(f"  this checkout: {min(ours_t):7.3f} s   version 0.1: {min(old_t):7.3f} s   "
              f"ratio {min(ours_t) / min(old_t):5.2f}")  # fmt: skip

    n, d, loss = epoch240()
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(loss)
    w = np.ones(n.size)
    grid = cl.paper_grid()

    # ---------------------------------------------------------------- full grid
    cl.fit_parametric(n, d, loss, starts=grid[:4], warn=False)
    ours = best_of(lambda: cl.fit_parametric(n, d, loss, warn=False))
    fit = cl.fit_parametric(n, d, loss, warn=False)
    sub = grid[:: grid.shape[0] // args.baseline_starts][: args.baseline_starts]

    def scipy_grid() -> None:
        for t0 in sub:
            minimize(scipy_objective, t0, args=(log_n, log_d, log_l, w), method="L-BFGS-B")

    c0 = time.process_time()
    base = best_of(scipy_grid, repeat=1) * grid.shape[0] / sub.shape[0]
    base_cpu = (time.process_time() - c0) * grid.shape[0] / sub.shape[0]
    ours_cpu = min(cpu_of(lambda: cl.fit_parametric(n, d, loss, warn=False)) for _ in range(3))
    print(f"chinchilla_laws from {Path(cl.__file__).parent}; load average {os.getloadavg()}")
    print("4,500-start grid on the 240 Epoch points")
    print(f"  chinchilla_laws (numba, warm JIT): {ours:8.3f} s   objective {fit.objective:.10e}")
    print(f"    CPU time of one fit (all threads): {ours_cpu:6.3f} s")
    print(
        f"  scipy L-BFGS-B, finite differences: {base:8.1f} s   "
        f"(timed on {sub.shape[0]} starts, extrapolated)"
    )
    print(f"    its CPU time, extrapolated: {base_cpu:8.1f} s")
    print(f"  speed-up: {base / ours:8.0f}x   (CPU time, all threads: {base_cpu / ours_cpu:6.0f}x)")

    # ---------------------------------------------------------------- bootstrap
    cl.bootstrap_parametric(n, d, loss, n_resamples=4, rng=0, fit=fit)
    ours_b = best_of(
        lambda: cl.bootstrap_parametric(n, d, loss, n_resamples=4000, rng=0, fit=fit), repeat=2
    )
    rng = np.random.default_rng(0)
    counts = rng.multinomial(n.size, np.full(n.size, 1 / n.size), size=args.baseline_resamples)

    def scipy_boot() -> None:
        for wr in counts:
            minimize(
                scipy_objective,
                fit.theta,
                args=(log_n, log_d, log_l, wr),
                jac=scipy_gradient,
                method="BFGS",
            )

    base_b = best_of(scipy_boot, repeat=1) * 4000 / args.baseline_resamples
    print("Bootstrap, 4,000 resamples of the 240 Epoch points")
    print(f"  chinchilla_laws (numba):           {ours_b:8.3f} s")
    print(
        f"  scipy BFGS loop, analytic gradient: {base_b:8.1f} s   "
        f"(timed on {args.baseline_resamples} resamples, extrapolated)"
    )
    print(f"  speed-up: {base_b / ours_b:8.0f}x")

    if not args.skip_jax:
        jax_rows(n, d, loss, ours, ours_b, fit)

    if args.cold_families:
        family_cold_rows()

    if not args.skip_cold:
        first, second = cold_start_seconds()
        print("Fresh process, full grid fit including import and JIT")
        print(f"  empty cache: {first:6.2f} s   cache reused: {second:6.2f} s")


if __name__ == "__main__":
    main()
