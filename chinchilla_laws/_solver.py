"""Batched L-BFGS driver over the Numba kernels (private).

Runs many independent problems -- the starts of a multi-start fit, or the
resamples of a bootstrap -- in rounds of a few iterations each. Between rounds,
a start that is stuck far above the best objective of its group is abandoned
(see :func:`solve_batch`). Everything is deterministic: decisions are taken
between rounds from values that do not depend on thread timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from ._jit import serialised
from ._typing import FloatArray, IntArray

PARALLEL_MIN = 16
"""Active runs below which a round runs serially (a thread launch costs milliseconds)."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    u: FloatArray  # (S, 5) end points, internal coordinates
    f: FloatArray  # (S,) objective at the end point
    grad: FloatArray  # (S, 5) gradient at the end point, internal coordinates
    nit: IntArray
    nfev: IntArray
    status: IntArray  # kernel exit codes


@dataclass(frozen=True, slots=True)
class SolverOptions:
    """Tolerances of the batched L-BFGS (internal, standardised coordinates)."""

    max_iter: int = 1000
    gtol: float = 1e-9
    round_iters: int = 2
    abandon: bool = True
    abandon_after: int = 4
    abandon_gap: float = 0.05
    abandon_progress: float = 0.005


def solve_batch(
    starts: FloatArray,
    weight_sets: FloatArray,
    weight_index: IntArray,
    x: FloatArray,
    y: FloatArray,
    logl: FloatArray,
    delta: float,
    options: SolverOptions,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Minimise the weighted Huber objective from every row of ``starts``.

    ``gtol`` is an absolute bound on ``max|grad|`` in the internal coordinates;
    the caller scales it to the objective's size. ``progress(finished, total)`` is
    called after every round.

    Abandonment (``options.abandon``): after ``abandon_after`` iterations, a run
    whose objective exceeds its group's best (same weight set) by more than a
    fraction ``abandon_gap``, and whose decrease over the last round is below
    ``abandon_progress`` times that gap, is stopped with status ABANDONED. Such a
    run sits on a plateau (one term of the law numerically dead) or in a worse
    local minimum; continuing it would cost hundreds of iterations for nothing.
    """
    S = starts.shape[0]
    m = K.HISTORY
    U = np.ascontiguousarray(starts, dtype=np.float64).copy()
    G = np.empty((S, K.N_PARAMS))
    F = np.empty(S)
    SH = np.zeros((S, m, K.N_PARAMS))
    YH = np.zeros((S, m, K.N_PARAMS))
    RHO = np.zeros((S, m))
    FHIST = np.empty((S, m + 2))
    STATE = np.zeros((S, 4), dtype=np.int64)
    STATUS = np.empty(S, dtype=np.int64)
    widx = np.ascontiguousarray(weight_index, dtype=np.int64)
    K.lbfgs_start_batch(U, G, F, STATUS, STATE, FHIST, weight_sets, widx, x, y, logl, delta)
    n_groups = weight_sets.shape[0]
    f_prev = F.copy()
    active = np.flatnonzero(STATUS == K.RUNNING)
    until = 0
    step = options.round_iters if options.abandon else options.max_iter
    while active.size:
        until += step
        run_round = (
            serialised(K.lbfgs_round) if active.size >= PARALLEL_MIN else K.lbfgs_round_serial
        )
        run_round(
            active,
            U,
            G,
            F,
            SH,
            YH,
            RHO,
            FHIST,
            STATE,
            STATUS,
            weight_sets,
            widx,
            x,
            y,
            logl,
            delta,
            until,
            options.max_iter,
            options.gtol,
        )
        running = active[STATUS[active] == K.RUNNING]
        if options.abandon and running.size:
            # the group's best among physical end points (alpha, beta > 0): an optimum
            # with a non-positive exponent is rejected later and must not set the bar
            physical = np.isfinite(F) & (U[:, 3] > 0) & (U[:, 4] > 0)
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
            STATUS[running[stuck]] = K.ABANDONED
            running = running[~stuck]
        f_prev[active] = F[active]
        active = running
        if progress is not None:
            progress(S - active.size, S)
    return BatchResult(
        u=U, f=F, grad=G, nit=STATE[:, 0].copy(), nfev=STATE[:, 1].copy(), status=STATUS
    )
