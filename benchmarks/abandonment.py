"""Replay abandonment rules on recorded multi-start trajectories (issue 12).

    python benchmarks/abandonment.py [--family chinchilla kaplan] [--patience 1 3 8]
                                     [--gap 0.05 1 5] [--data epoch|kaplan2020]

Runs a family's default grid with abandonment off on the 240 Epoch points (or, with
``--data kaplan2020``, on 200 runs drawn from Kaplan et al.'s law with 1 % noise:
N log-uniform on 1e7..1e10, D on 1e9..1e11, seed 0), in the
Numba backend's rounds of two iterations, and records every start's objective,
iterations and evaluations after each round. It then replays the abandonment rule
of :class:`chinchilla_laws._solver.NumbaBackend` on those records (after
``abandon_after`` iterations, a start more than ``gap`` times the best objective
above it that gained less than 0.5 % of that gap in its last round is stopped),
with variants: ``patience`` consecutive stuck rounds before stopping, other
``gap`` thresholds. The replay of the default rule reproduces the solver's own
counts (77,212 evaluations and 508 converged starts for Chinchilla on Epoch).

Per rule it prints the objective evaluations spent, the starts that would still
converge, and how many of the starts that reach the best optimum without
abandonment are kept. Deterministic; CPU-bound for a minute or two.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chinchilla_laws as cl
from benchmarks._data import epoch240
from chinchilla_laws import _lbfgs as L
from chinchilla_laws._problem import prepare


def kaplan2020_runs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), 200))
    d = np.exp(rng.uniform(np.log(1e9), np.log(1e11), 200))
    return n, d, cl.KAPLAN_2020.loss(n, d) * np.exp(0.01 * rng.standard_normal(200))


def record(family: str, data_set: str) -> dict[str, np.ndarray]:
    """Objective, iterations and evaluations of every start after every round."""
    n, d, loss = epoch240() if data_set == "epoch" else kaplan2020_runs()
    fam = cl.get_family(family)
    data = {"n_params": n, "n_tokens": d, "loss": loss}
    pr = prepare(fam, data, delta=1e-3, reduction="sum", weights=None)
    Z = pr.to_z(fam.default_starts())
    S, m = Z.shape
    rounds = L.rounds_for(fam.cache_key, fam.kernel)
    U = Z.copy()
    F = np.full(S, np.nan)
    STATE = np.zeros((S, 4), dtype=np.int64)
    STATUS = np.full(S, L.RUNNING, dtype=np.int64)
    args = (U, np.empty((S, m)), F, np.zeros((S, L.HISTORY, m)), np.zeros((S, L.HISTORY, m)),
            np.zeros((S, L.HISTORY)), np.ones(S), STATE, STATUS, np.ones((1, pr.n)),
            np.zeros(S, dtype=np.int64), pr.kernel_args, pr.delta)  # fmt: skip
    gtol = pr.abs_gtol(1e-7, pr.weights)
    rounds.round(np.arange(S), *args, 0, 1000, gtol)
    f_rec, it_rec, ev_rec = [F.copy()], [STATE[:, 0].copy()], [STATE[:, 1].copy()]
    until = 0
    while (STATUS == L.RUNNING).any():
        until += 2
        rounds.round(np.flatnonzero(STATUS == L.RUNNING), *args, until, 1000, gtol)
        f_rec.append(F.copy())
        it_rec.append(STATE[:, 0].copy())
        ev_rec.append(STATE[:, 1].copy())
    return {"f": np.array(f_rec), "it": np.array(it_rec), "ev": np.array(ev_rec),
            "status": STATUS.copy()}  # fmt: skip


def replay(rec: dict[str, np.ndarray], *, gap: float, patience: int, after: int = 4,
           progress: float = 0.005) -> tuple[int, int, int]:  # fmt: skip
    """Evaluations, converged starts, starts reaching the best that are kept."""
    f = np.where(np.isfinite(rec["f"]), rec["f"], np.inf)
    it, ev, status = rec["it"], rec["ev"], rec["status"]
    R, S = f.shape
    final = f[-1]
    best_final = final[status == L.CONVERGED].min()
    good = (status == L.CONVERGED) & (final <= best_final * (1 + 1e-6))
    # the round after which each start had finished
    done = np.array([np.flatnonzero((it[:, j] == it[-1, j]) & (ev[:, j] == ev[-1, j]))[0]
                     for j in range(S)])  # fmt: skip
    stopped = np.full(S, -1)
    count = np.zeros(S, dtype=np.int64)
    for r in range(1, R):
        live = stopped < 0
        now = np.where(live, f[r], f[np.maximum(stopped, 0), np.arange(S)])
        fb = now.min()
        g = f[r] - fb
        stuck = (live & (done > r) & (it[r] >= after) & (g > gap * abs(fb))
                 & ((f[r - 1] - f[r]) < progress * g))  # fmt: skip
        count = np.where(stuck, count + 1, 0)
        stopped[stuck & (count >= patience)] = r
    cut = stopped >= 0
    evals = int(np.where(cut, ev[np.maximum(stopped, 0), np.arange(S)], ev[-1]).sum())
    converged = int((~cut & (status == L.CONVERGED)).sum())
    return evals, converged, int((good & ~cut).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--family", nargs="+", default=["chinchilla", "kaplan"])
    parser.add_argument("--patience", nargs="+", type=int, default=[1, 3, 8])
    parser.add_argument("--gap", nargs="+", type=float, default=[0.05, 1.0, 5.0])
    parser.add_argument("--data", choices=["epoch", "kaplan2020"], default="epoch")
    args = parser.parse_args()
    for family in args.family:
        rec = record(family, args.data)
        good = replay(rec, gap=np.inf, patience=1)[2]
        n_conv = int((rec["status"] == L.CONVERGED).sum())
        print(f"{family} on {args.data}: {rec['status'].size} starts; without abandonment "
              f"{int(rec['ev'][-1].sum()):,} evaluations, {n_conv} converge, "
              f"{good} reach the best")  # fmt: skip
        print("  gap  patience  evaluations  converged  best kept")
        for gap in args.gap:
            for patience in args.patience:
                evals, conv, kept = replay(rec, gap=gap, patience=patience)
                print(f"  {gap:4g}  {patience:8d}  {evals:11,d}  {conv:9d}  {kept:9d}")


if __name__ == "__main__":
    main()
