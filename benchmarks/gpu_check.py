"""Check the JAX backend on whatever device JAX sees (meant for a CUDA GPU).

One command, from the repository root::

    python benchmarks/gpu_check.py                      # 4,000 and 100,000 resamples
    python benchmarks/gpu_check.py --resamples 500 2000 # a quick run on a CPU

Needs ``jax`` with a CUDA backend (``pip install -U "jax[cuda12]"``) and this
package (``pip install -e .``); jaxopt is not used. It prints the device, then a
table: the full 4,500-start grid on the Epoch 240-point set (compilation plus
first fit, and warm), bootstraps of the given sizes (first and warm), and the
parity with the Numba backend (relative difference of the best objective; per
resample for the smallest bootstrap). The goals of issue 15 on a GPU are a warm
full grid <= 1 s and 100,000 resamples <= 10 s.

Without ``../shared/data`` (a machine with only the repository) the Epoch set is
replaced by a 240-point synthetic stand-in; the script says which it used.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chinchilla_laws as cl
from benchmarks._data import _find_data, epoch240

GRID_GOAL_S = 1.0
BOOT_GOAL_S = 10.0  # for 100,000 resamples


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resamples", type=int, nargs="+", default=[4000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import jax

    dev = jax.devices()[0]
    print(f"python {platform.python_version()}, jax {jax.__version__}, numpy {np.__version__}")
    print(f"device: {dev.platform} {getattr(dev, 'device_kind', '')} ({len(jax.devices())} seen)")
    if dev.platform != "gpu":
        print("note: JAX sees no GPU; the numbers below are for this CPU")
    source = _find_data()
    n, d, loss = epoch240()
    print(f"data: {source if source else 'synthetic 240-point stand-in (no ../shared/data)'}")

    rows: list[tuple[str, str, str, str]] = []

    # ------------------------------------------------------------ full grid
    cl.fit_parametric(n, d, loss, starts=cl.paper_grid()[:4], warn=False)  # numba JIT
    t_nb, fit_nb = timed(lambda: cl.fit_parametric(n, d, loss, warn=False))
    t_first, _ = timed(lambda: cl.fit_parametric(n, d, loss, backend="jax", warn=False))
    t_warm, fit_jx = min(
        (timed(lambda: cl.fit_parametric(n, d, loss, backend="jax", warn=False)) for _ in range(3)),
        key=lambda r: r[0],
    )
    rel = abs(fit_jx.objective - fit_nb.objective) / fit_nb.objective
    rows.append(
        (
            "full grid, 4,500 starts",
            f"{t_first:.2f}",
            f"{t_warm:.3f}",
            f"objective {fit_jx.objective:.10e}, rel. diff {rel:.1e} (numba {t_nb:.2f} s)",
        )
    )

    # ------------------------------------------------------------ bootstraps
    fit = fit_nb
    for i, r in enumerate(args.resamples):

        def boot(backend: str, r: int = r) -> Any:
            return cl.bootstrap_parametric(
                n, d, loss, n_resamples=r, rng=args.seed, fit=fit, backend=backend
            )

        t_b1, _ = timed(lambda: boot("jax"))
        t_b2, bj = timed(lambda: boot("jax"))
        note = f"{r - bj.n_failed} converged"
        if i == 0:
            t_bn, bn = timed(lambda: boot("numba"))
            conv = cl.StartStatus.CONVERGED
            ok = (bj.status == conv) & (bn.status == conv)
            diff = np.abs(bj.objectives[ok] - bn.objectives[ok]) / np.abs(bn.objectives[ok])
            note += (
                f"; per-resample max rel. diff to numba {diff.max():.1e} over {ok.sum()} "
                f"(numba {t_bn:.2f} s)"
            )
        rows.append((f"bootstrap, {r:,} resamples", f"{t_b1:.2f}", f"{t_b2:.3f}", note))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'task':<{width}}  {'first s':>8}  {'warm s':>8}  parity / notes")
    for name, first, warm, note in rows:
        print(f"{name:<{width}}  {first:>8}  {warm:>8}  {note}")
    print(f"\ngoals on a GPU: full grid warm <= {GRID_GOAL_S} s; ", end="")
    print(f"100,000 resamples <= {BOOT_GOAL_S} s")


if __name__ == "__main__":
    main()
