"""The Numba backend: a batched L-BFGS driver over a family's kernel (private).

Runs many independent problems -- the starts of a multi-start fit, or the
resamples of a bootstrap -- in rounds of a few iterations each. A round runs in
Python threads over disjoint sets of runs; the compiled round releases the GIL. Between rounds,
a start that is stuck far above the best objective of its group is abandoned
(see :class:`NumbaBackend`). Everything is deterministic: decisions are taken
between rounds from values that do not depend on thread timing.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from . import _lbfgs as L
from ._backends import BatchResult, Progress, SolverOptions, register_backend
from ._problem import Problem, WeightSets
from ._typing import FloatArray, IntArray

__all__ = ["PARALLEL_MIN", "NumbaBackend"]

PARALLEL_MIN = 16
"""Active runs below which a round runs in the calling thread."""

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def n_threads() -> int:
    """Threads a round uses: ``NUMBA_NUM_THREADS`` (the CPUs available by default)."""
    return max(1, int(numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=n_threads(), thread_name_prefix="chinchilla")
        return _POOL


def _forget_pool() -> None:  # pragma: no cover - runs in forked children
    # a forked child inherits the pool object but not its threads: start afresh
    global _POOL, _POOL_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


class NumbaBackend:
    """Multi-start L-BFGS in Numba, in rounds, with abandonment of stuck runs.

    Abandonment (``options.abandon``; ``None`` takes the family's default): after
    ``abandon_after`` iterations, a run whose objective exceeds its group's best
    (same weight set, physical end points only) by more than a fraction
    ``abandon_gap``, and whose decrease over the last round is below
    ``abandon_progress`` times that gap, is stopped with status ABANDONED. Such a
    run sits on a plateau (one term of the law numerically dead) or in a worse
    local minimum; continuing it would cost hundreds of iterations for nothing.
    """

    name = "numba"
    options_honoured = frozenset(
        {"max_iter", "gtol", "abandon", "round_iters", "abandon_after", "abandon_gap",
         "abandon_progress"}
    )  # fmt: skip

    def solve(
        self,
        problem: Problem,
        starts: FloatArray,
        weight_sets: WeightSets,
        options: SolverOptions,
        progress: Progress | None = None,
    ) -> BatchResult:
        rounds = L.rounds_for(problem.family.cache_key, problem.family.kernel)
        S, m = starts.shape
        H = L.HISTORY
        U = np.ascontiguousarray(starts, dtype=np.float64).copy()
        G = np.empty((S, m))
        F = np.full(S, np.nan)
        SH = np.zeros((S, H, m))
        YH = np.zeros((S, H, m))
        RHO = np.zeros((S, H))
        GAMMA = np.ones(S)
        STATE = np.zeros((S, 4), dtype=np.int64)
        STATUS = np.full(S, L.RUNNING, dtype=np.int64)
        wsets = np.ascontiguousarray(weight_sets.sets, dtype=np.float64)
        widx = np.ascontiguousarray(weight_sets.index, dtype=np.int64)
        args = (U, G, F, SH, YH, RHO, GAMMA, STATE, STATUS, wsets, widx, problem.kernel_args,
                problem.delta)  # fmt: skip

        def run(active: IntArray, until: int) -> None:
            # one array type for every call (C-contiguous int64): one specialisation
            active = np.ascontiguousarray(active, dtype=np.int64)
            workers = min(n_threads(), active.size // PARALLEL_MIN)
            if workers <= 1:
                rounds.round(active, *args, until, options.max_iter, options.gtol)
                return
            # disjoint, interleaved shares of the runs (neighbouring starts cost alike)
            parts = [np.ascontiguousarray(active[k::workers]) for k in range(workers)]
            futures = [
                _pool().submit(rounds.round, part, *args, until, options.max_iter, options.gtol)
                for part in parts
            ]
            for fut in futures:
                fut.result()

        # round 0 evaluates every start (no iteration)
        run(np.arange(S, dtype=np.int64), 0)
        n_groups = wsets.shape[0]
        f_prev = F.copy()
        active = np.flatnonzero(STATUS == L.RUNNING)
        abandon = problem.family.abandon if options.abandon is None else options.abandon
        # theta = z @ A + c (the problem's affine map, read off once: a solve per round
        # on every start costs more than a round of a few hundred active starts)
        c0 = problem.to_theta(np.zeros(m))[0]
        A = problem.to_theta(np.eye(m)) - c0
        until = 0
        step = options.round_iters if abandon else options.max_iter
        while active.size:
            until += step
            run(active, until)
            running = active[STATUS[active] == L.RUNNING]
            if abandon and running.size:
                # the group's best among physical end points (exponents > 0): an optimum
                # with a non-positive exponent is rejected later and must not set the bar
                with np.errstate(invalid="ignore", over="ignore"):
                    physical = np.isfinite(F) & problem.physical(U @ A + c0)
                finite = np.where(physical, F, np.inf)
                best = np.full(n_groups, np.inf)
                np.minimum.at(best, widx, finite)
                fb = best[widx[running]]
                fr = F[running]
                gap = fr - fb
                stuck = (
                    (STATE[running, 0] >= options.abandon_after)
                    & (gap > options.abandon_gap * np.abs(fb))
                    & ((f_prev[running] - fr) < options.abandon_progress * gap)
                )
                STATUS[running[stuck]] = L.ABANDONED
                running = running[~stuck]
            f_prev[active] = F[active]
            active = running
            if progress is not None:
                progress(S - active.size, S)
        return BatchResult(
            u=U, f=F, grad=G, nit=STATE[:, 0].copy(), nfev=STATE[:, 1].copy(), status=STATUS
        )


register_backend("numba", NumbaBackend())
