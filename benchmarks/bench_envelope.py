"""Time :func:`chinchilla_laws.envelope.envelope` on 1,000 runs x 1,000 steps.

Run as a plain script (``python benchmarks/bench_envelope.py``); ``make_curves``
builds the synthetic data and can be reused by asv benchmarks.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from chinchilla_laws import HOFFMANN_2022_TEX, ChinchillaLaw
from chinchilla_laws.envelope import envelope
from chinchilla_laws.warnings import EnvelopeWarning

__all__ = ["make_curves", "time_envelope"]


def make_curves(
    n_runs: int,
    n_steps: int,
    seed: int = 0,
    *,
    law: ChinchillaLaw = HOFFMANN_2022_TEX,
    noise: float = 0.01,
    cosine_penalty: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Long-form synthetic training curves ``(run_id, n_params, n_tokens, loss)``.

    Model sizes are log-spaced from 1e7 to 1e10 (about ``sqrt(n_runs)`` of them);
    each size is trained to several horizons log-spaced from 2 to 200 tokens per
    parameter. Every curve has ``n_steps`` equal steps up to its horizon ``H``
    and loss ``law.loss(N, D) + cosine_penalty * (1 + cos(pi D / H)) / 2`` plus
    Gaussian noise of standard deviation ``noise``. Rows are grouped by run,
    run ids are the integers ``0 .. n_runs - 1``.
    """
    rng = np.random.default_rng(seed)
    n_sizes = max(2, round(np.sqrt(n_runs)))
    sizes = np.geomspace(1e7, 1e10, n_sizes)
    per_size = -(-n_runs // n_sizes)
    horizons_tpp = np.geomspace(2.0, 200.0, per_size)
    run_n = np.repeat(sizes, per_size)[:n_runs]
    run_h = (np.tile(horizons_tpp, n_sizes)[:n_runs]) * run_n
    frac = np.arange(1, n_steps + 1, dtype=np.float64) / n_steps
    d = run_h[:, None] * frac[None, :]
    n = np.broadcast_to(run_n[:, None], d.shape)
    loss = law.loss(n, d) + cosine_penalty * 0.5 * (1.0 + np.cos(np.pi * frac))[None, :]
    loss = loss + noise * rng.standard_normal(d.shape)
    run_id = np.repeat(np.arange(n_runs), n_steps)
    return run_id, np.ascontiguousarray(n).ravel(), d.ravel(), loss.ravel()


def time_envelope(
    n_runs: int = 1000, n_steps: int = 1000, *, repeat: int = 5, seed: int = 0
) -> float:
    """Best wall time in seconds of ``envelope`` (default options) over ``repeat`` calls."""
    data = make_curves(n_runs, n_steps, seed)
    best = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvelopeWarning)
        envelope(*data)  # warm-up
        for _ in range(repeat):
            t0 = time.perf_counter()
            envelope(*data)
            best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = make_curves(args.runs, args.steps, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvelopeWarning)
        res = envelope(*data)
    best = time_envelope(args.runs, args.steps, repeat=args.repeat)
    print(
        f"envelope: {args.runs} runs x {args.steps} steps ({data[0].size:,} rows), "
        f"n_grid=1500, smoothing=10: best of {args.repeat}: {best:.3f} s"
    )
    print(
        f"  a = {res.a:.4f} (law {HOFFMANN_2022_TEX.a:.4f}), "
        f"share in final 15% = {res.share_in_final_fraction:.3f}, "
        f"runs on the envelope = {res.n_runs_selected}"
    )


if __name__ == "__main__":
    main()
