r"""The learning-rate schedule that minimises a multi-power law's final loss.

Given a law, the number of steps, a linear warmup and the peak rate, find the
non-increasing post-warmup schedule whose predicted loss at the last step is lowest
(Luo et al. 2025, §5). Every post-warmup step is free. The schedule is parametrised
by non-negative decrements of the log excess rate over the floor,

.. math::

    \eta_t = \eta_{\rm floor} + (\eta_{\rm peak} - \eta_{\rm floor})
        \exp\Bigl(-\sum_{s=W}^{t} \delta_s\Bigr), \qquad \delta_s \ge 0,

so every candidate is non-increasing and stays in ``[floor, peak]``, and the only
constraints are the bounds ``delta >= 0``. The final loss and its gradient in every
``delta_s`` take one ``O(T)`` pass of the Numba kernel; a projected L-BFGS (Numba)
minimises it.

References
----------
Luo, K., Wen, H., Hu, S., et al. (2025). A Multi-Power Law for Loss Curve Prediction
Across Learning Rate Schedules. ICLR 2025. arXiv:2503.12811, §5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from numpy.typing import ArrayLike

from . import _mpl_kernels as MK
from ._typing import FloatArray, freeze_arrays
from ._validation import as_float_array, as_int, as_positive_scalar
from ._warn import warn
from .multipower import MultiPowerLaw
from .result import Result
from .schedules import cosine, linear_warmup, wsd
from .warnings import ConvergenceWarning

__all__ = ["OptimizedSchedule", "ScheduleStatus", "baseline_schedules", "optimize_schedule"]


class ScheduleStatus(Enum):
    """How the schedule optimisation ended; the value is the message."""

    SUCCESS = (
        "converged: the projected gradient is below gtol or the loss stopped decreasing "
        "(relative change below ftol over 20 iterations)"
    )
    MAX_ITER = "stopped at max_iter before converging"
    LINE_SEARCH_FAILED = "the line search found no decrease before convergence"
    NON_FINITE = "the loss or its gradient became non-finite"


_STATUS = {
    0: ScheduleStatus.SUCCESS,
    1: ScheduleStatus.MAX_ITER,
    2: ScheduleStatus.LINE_SEARCH_FAILED,
    3: ScheduleStatus.NON_FINITE,
}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class OptimizedSchedule(Result):
    """Result of :func:`optimize_schedule`.

    Attributes
    ----------
    schedule : ndarray, shape (total_steps,)
        The optimised per-step learning rates, warmup included.
    final_loss : float
        The law's prediction at the last step (``total_steps - 1``) under ``schedule``,
        recomputed by :meth:`MultiPowerLaw.loss`.
    baselines : mapping of str to float
        Predicted final loss of each schedule in ``baseline_schedules``.
    baseline_schedules : mapping of str to ndarray
        The comparison schedules (see :func:`baseline_schedules`).
    law : MultiPowerLaw
        The law that was minimised.
    total_steps, warmup : int
    peak, floor : float
    status : ScheduleStatus
    nit, nfev : int
        L-BFGS iterations and loss evaluations.
    """

    schedule: FloatArray = field(repr=False)
    final_loss: float
    baselines: Mapping[str, float]
    baseline_schedules: Mapping[str, FloatArray] = field(repr=False)
    law: MultiPowerLaw
    total_steps: int
    warmup: int
    peak: float
    floor: float
    status: ScheduleStatus
    nit: int
    nfev: int

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def message(self) -> str:
        return self.status.value

    def summary(self) -> str:
        """The final losses of the optimum and the baselines."""
        from .report import schedule_summary

        return schedule_summary(self)


def baseline_schedules(
    total_steps: int, *, warmup: int, peak: float, final: float | None = None
) -> dict[str, FloatArray]:
    """The schedules an optimum is compared with: cosine and WSD of the same length.

    ``cosine``: warmup, then cosine to ``final``; ``wsd``: warmup, the peak, then an
    exponential decay to ``final`` over the last sixth of the steps (Luo et al.'s
    20,000 of 24,000). ``final`` defaults to ``peak / 10``.
    """
    total = as_int(total_steps, "total_steps", minimum=2)
    top = as_positive_scalar(peak, "peak")
    low = top / 10 if final is None else as_positive_scalar(final, "final")
    start = max(as_int(warmup, "warmup", minimum=0), total - round(total / 6))
    return {
        "cosine": cosine(total, peak=top, final=low, warmup=warmup),
        "wsd": wsd(total, peak=top, final=low, decay_start=start, warmup=warmup),
    }


def optimize_schedule(
    law: MultiPowerLaw,
    total_steps: int,
    *,
    warmup: int,
    peak: float,
    floor: float = 1e-10,
    init: ArrayLike | None = None,
    max_iter: int = 5000,
    history: int = 10,
    gtol: float = 1e-12,
    ftol: float = 1e-13,
) -> OptimizedSchedule:
    r"""The non-increasing schedule minimising ``law``'s predicted final loss.

    Parameters
    ----------
    law : MultiPowerLaw
        A fitted or published law.
    total_steps : int
        Steps of the run; the loss is minimised at the last one, ``total_steps - 1``.
    warmup : int
        Steps of linear warmup from 0 to ``peak`` (fixed, ``linspace(0, peak, warmup)``).
    peak : float
        Peak learning rate, the upper bound of every post-warmup step.
    floor : float
        Lower bound of every post-warmup rate (positive: the law raises rates to a
        negative power).
    init : array_like, optional
        A starting schedule of length ``total_steps`` (its post-warmup part is used,
        clipped to ``[floor, peak]`` and made non-increasing). Default: the better of
        the :func:`baseline_schedules`.
    max_iter, history : int
        Iteration limit and L-BFGS memory.
    gtol : float
        Bound on the projected gradient (in the decrement coordinates).
    ftol : float
        Stop when the final loss falls by less than ``ftol * |loss|`` over 20 iterations.

    Returns
    -------
    OptimizedSchedule
        With the predicted final losses of cosine and WSD for comparison. A
        non-converged run has a non-SUCCESS status and emits a
        :class:`~chinchilla_laws.ConvergenceWarning`.

    Notes
    -----
    The parametrisation by non-negative log-decrements (module docstring) turns the
    ordering constraint into bounds. The gradient of the final loss ``L(T)`` in each
    rate :math:`\eta_j` is
    :math:`-\alpha A S_1^{-\alpha-1} - B\,[g_{j+1} - g_j + d_j\,\partial_\eta g_j
    + \sum_{k\le j} d_k\,\partial_S g_k]`, a prefix sum, so one evaluation is
    ``O(T)``.

    Examples
    --------
    >>> import chinchilla_laws as cl
    >>> opt = cl.optimize_schedule(cl.LUO_2025_400M, 4000, warmup=500, peak=3e-4)
    >>> opt.success, opt.final_loss < min(opt.baselines.values())
    (True, True)
    """
    if not isinstance(law, MultiPowerLaw):
        raise TypeError(f"`law` must be a MultiPowerLaw; got {type(law).__name__}.")
    total = as_int(total_steps, "total_steps", minimum=2)
    w = as_int(warmup, "warmup", minimum=0)
    if w >= total:
        raise ValueError(f"`warmup` must be below `total_steps` = {total}; got {w}.")
    top = as_positive_scalar(peak, "peak")
    low = as_positive_scalar(floor, "floor")
    if low >= top:
        raise ValueError(f"`floor` must be below `peak` = {top!r}; got {low!r}.")
    iters = as_int(max_iter, "max_iter", minimum=1)
    mem = as_int(history, "history", minimum=1)
    g_tol = as_positive_scalar(gtol, "gtol", allow_zero=True)
    f_tol = as_positive_scalar(ftol, "ftol", allow_zero=True)
    warm = linear_warmup(w, peak=top)
    n_free = total - w

    bases = baseline_schedules(total, warmup=w, peak=top)
    base_loss = {name: float(law.loss(eta, [total - 1])[0]) for name, eta in bases.items()}
    if init is None:
        start = bases[min(base_loss, key=base_loss.__getitem__)]
    else:
        start = as_float_array(init, "init")
        if start.shape != (total,):
            raise ValueError(
                f"`init` must have one rate per step ({total}); got {start.size} entries."
            )
    post = np.minimum.accumulate(np.clip(start[warm.size :], low, top))
    excess = top - low
    # log-decrements of the excess rate; a rate at the floor gets a large finite decrement
    log_ex = np.log(np.maximum(post - low, excess * 1e-300))
    ell0 = np.diff(np.concatenate([[math.log(excess)], log_ex]))
    ell0 = np.ascontiguousarray(np.minimum(ell0, 0.0))

    ell = np.empty(n_free)
    info = np.zeros(3, dtype=np.int64)
    MK.schedule_lbfgs(
        law.param_vector, ell0, warm, low, excess, iters, mem, g_tol, f_tol, ell, info
    )
    eta = np.empty(total)
    MK._excess_schedule(ell, warm, low, excess, eta)
    final = float(law.loss(eta, [total - 1])[0])
    status = _STATUS[int(info[2])] if math.isfinite(final) else ScheduleStatus.NON_FINITE
    if status is not ScheduleStatus.SUCCESS:
        warn(
            f"optimize_schedule: {status.value}; the schedule may not be optimal.",
            ConvergenceWarning,
        )
    return OptimizedSchedule(
        schedule=eta,
        final_loss=final,
        baselines=base_loss,
        baseline_schedules=bases,
        law=law,
        total_steps=total,
        warmup=w,
        peak=top,
        floor=low,
        status=status,
        nit=int(info[0]),
        nfev=int(info[1]),
    )
