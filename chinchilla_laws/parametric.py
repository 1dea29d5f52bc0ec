r"""Approach 3 of Hoffmann et al. (2022): the parametric fit of ``L(N, D)``.

The fit minimises, over ``theta = (a, b, e, alpha, beta)``,

.. math::

    \sum_i w_i \, \mathrm{Huber}_\delta\!\left(
        \mathrm{LSE}(a - \alpha \log N_i,\; b - \beta \log D_i,\; e) - \log L_i \right),

with ``A, B, E = exp(a), exp(b), exp(e)``, by L-BFGS from a grid of starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels as K
from ._solver import SolverOptions, solve_batch
from ._typing import BoolArray, FloatArray, IntArray, readonly
from ._validation import (
    as_bool,
    as_choice,
    as_float_array,
    as_int,
    as_positive_scalar,
    as_rng,
    same_length,
)
from ._warn import warn
from .laws import ChinchillaLaw
from .warnings import ConvergenceWarning, GridBoundaryWarning, IdentifiabilityWarning

__all__ = [
    "FitStatus",
    "ParametricFit",
    "StartStatus",
    "fit_parametric",
    "paper_grid",
    "random_starts",
]

THETA_NAMES = ("a", "b", "e", "alpha", "beta")
N_THETA = 5


class StartStatus(IntEnum):
    """How one L-BFGS run (one start, or one bootstrap resample) ended."""

    CONVERGED = K.CONVERGED
    MAX_ITER = K.MAX_ITER
    LINE_SEARCH_FAILED = K.LINE_SEARCH_FAILED
    NON_FINITE = K.NON_FINITE
    ABANDONED = K.ABANDONED
    DEGENERATE = K.DEGENERATE

    @property
    def message(self) -> str:
        return _START_MESSAGES[self]


_START_MESSAGES = {
    StartStatus.CONVERGED: "converged: max|gradient| below gtol",
    StartStatus.MAX_ITER: "stopped at max_iter with the gradient above gtol",
    StartStatus.LINE_SEARCH_FAILED: "line search found no decrease; gradient above gtol",
    StartStatus.NON_FINITE: "objective or gradient not finite at the start",
    StartStatus.ABANDONED: "abandoned: stuck far above the best objective of the batch",
    StartStatus.DEGENERATE: (
        "ended with a non-positive exponent or a dead or constant term (bootstrap resamples)"
    ),
}


class FitStatus(Enum):
    """Overall outcome of a fit; the value is the human-readable message."""

    SUCCESS = "converged: the gradient at the best start is below tolerance"
    BEST_NOT_CONVERGED = (
        "the best start did not converge (gradient above tolerance at exit); "
        "the parameters may be inaccurate"
    )
    NO_START_CONVERGED = "no start converged; the result is the lowest objective seen"
    DEGENERATE = (
        "a term of the law is numerically zero or constant at every point; its "
        "parameters are not determined by the data (the law reduces to fewer terms)"
    )
    NONPHYSICAL_OPTIMUM = (
        "the lowest objective was reached with a non-positive exponent (alpha or beta "
        "<= 0); the result is the best start with positive exponents, and the data "
        "probably do not constrain the law"
    )


def paper_grid() -> FloatArray:
    """The 4,500-start initialisation grid of Hoffmann et al. (2022), as ``theta`` rows.

    ``alpha, beta`` in ``{0, 0.5, ..., 2}``, ``e`` in ``{-1, -0.5, ..., 1}``,
    ``a, b`` in ``{0, 5, ..., 25}``; columns ``(a, b, e, alpha, beta)``.

    Examples
    --------
    >>> from chinchilla_laws import paper_grid
    >>> paper_grid().shape
    (4500, 5)
    """
    ab = np.arange(0.0, 26.0, 5.0)
    e = np.arange(-1.0, 1.01, 0.5)
    ex = np.arange(0.0, 2.01, 0.5)
    mesh = np.meshgrid(ab, ab, e, ex, ex, indexing="ij")
    return np.ascontiguousarray(np.stack([m.ravel() for m in mesh], axis=1))


def random_starts(
    n: int,
    *,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    low: ArrayLike = (0.0, 0.0, -1.0, 0.0, 0.0),
    high: ArrayLike = (25.0, 25.0, 1.0, 2.0, 2.0),
) -> FloatArray:
    """``n`` starts drawn uniformly in the box ``[low, high]`` (``theta`` coordinates)."""
    count = as_int(n, "n", minimum=1)
    gen = as_rng(rng)
    lo = as_float_array(low, "low")
    hi = as_float_array(high, "high")
    if lo.shape != (N_THETA,) or hi.shape != (N_THETA,):
        raise ValueError(
            f"`low` and `high` must have 5 entries; got {lo.shape[0]} and {hi.shape[0]}."
        )
    if np.any(hi < lo):
        raise ValueError("`high` must be >= `low` in every coordinate.")
    return np.ascontiguousarray(gen.uniform(lo, hi, size=(count, N_THETA)))


@dataclass(frozen=True, slots=True)
class _Scaling:
    """Standardisation of log N and log D; maps ``theta`` <-> internal ``u``."""

    mx: float
    sx: float
    my: float
    sy: float

    @classmethod
    def from_data(cls, log_n: FloatArray, log_d: FloatArray) -> _Scaling:
        sx = float(np.std(log_n))
        sy = float(np.std(log_d))
        return cls(
            mx=float(np.mean(log_n)),
            sx=sx if sx > 0 else 1.0,
            my=float(np.mean(log_d)),
            sy=sy if sy > 0 else 1.0,
        )

    def to_u(self, theta: FloatArray) -> FloatArray:
        t = np.atleast_2d(theta)
        u = np.empty_like(t)
        u[:, 0] = t[:, 0] - t[:, 3] * self.mx
        u[:, 1] = t[:, 1] - t[:, 4] * self.my
        u[:, 2] = t[:, 2]
        u[:, 3] = t[:, 3] * self.sx
        u[:, 4] = t[:, 4] * self.sy
        return np.ascontiguousarray(u)

    def to_theta(self, u: FloatArray) -> FloatArray:
        v = np.atleast_2d(u)
        t = np.empty_like(v)
        t[:, 3] = v[:, 3] / self.sx
        t[:, 4] = v[:, 4] / self.sy
        t[:, 0] = v[:, 0] + t[:, 3] * self.mx
        t[:, 1] = v[:, 1] + t[:, 4] * self.my
        t[:, 2] = v[:, 2]
        return t

    def grad_to_theta(self, gu: FloatArray) -> FloatArray:
        """Chain rule: gradient in ``u`` to gradient in ``theta``."""
        g = np.atleast_2d(gu)
        out = np.empty_like(g)
        out[:, 0] = g[:, 0]
        out[:, 1] = g[:, 1]
        out[:, 2] = g[:, 2]
        out[:, 3] = -self.mx * g[:, 0] + self.sx * g[:, 3]
        out[:, 4] = -self.my * g[:, 1] + self.sy * g[:, 4]
        return out

    def standardise(self, log_n: FloatArray, log_d: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (
            np.ascontiguousarray((log_n - self.mx) / self.sx),
            np.ascontiguousarray((log_d - self.my) / self.sy),
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ParametricFit:
    r"""Result of :func:`fit_parametric`.

    Attributes
    ----------
    law : ChinchillaLaw
        The fitted law, unrounded.
    theta : ndarray
        ``(a, b, e, alpha, beta)`` at the optimum, ``A, B, E = exp(a, b, e)``.
    objective : float
        The (summed, unless ``reduction="mean"``) Huber objective at the optimum.
    grad : ndarray
        Gradient of the objective with respect to ``theta`` at the optimum.
    grad_norm : float
        ``max|gradient|`` in the solver's standardised coordinates, the quantity
        compared with ``gtol``.
    gtol : float
        The absolute gradient tolerance used (relative ``gtol`` times
        ``delta * sum(weights)``, divided by ``sum(weights)`` for the mean).
    status : FitStatus
        Overall outcome; ``status.value`` is the message.
    on_grid_boundary : bool
        True when every start reaching the best objective lies on the boundary of
        the start grid, or the optimum lies outside the grid's box.
    best_start : int
        Index of the start that gave the optimum.
    n_points, n_starts, n_converged, n_abandoned : int
        Data points; starts run; starts with a verified gradient; starts abandoned.
    nit, nfev : int
        Iterations and objective evaluations over all starts.
    start_thetas : ndarray, shape (n_starts, 5)
        The initial points.
    end_thetas : ndarray, shape (n_starts, 5)
        Where each start ended.
    start_objectives : ndarray, shape (n_starts,)
        Objective at each end point.
    start_grad_norms : ndarray, shape (n_starts,)
        ``max|gradient|`` (standardised coordinates) at each end point.
    start_nit, start_nfev : ndarray of int
        Iterations and evaluations per start.
    start_status : ndarray of int
        :class:`StartStatus` code per start.
    delta : float
        Huber threshold.
    reduction : {"sum", "mean"}
        How residual losses were combined.
    backend : str
        Which solver ran.
    """

    law: ChinchillaLaw
    theta: FloatArray
    objective: float
    grad: FloatArray
    grad_norm: float
    gtol: float
    status: FitStatus
    on_grid_boundary: bool
    best_start: int
    n_points: int
    n_starts: int
    n_converged: int
    n_abandoned: int
    nit: int
    nfev: int
    start_thetas: FloatArray = field(repr=False)
    end_thetas: FloatArray = field(repr=False)
    start_objectives: FloatArray = field(repr=False)
    start_grad_norms: FloatArray = field(repr=False)
    start_nit: IntArray = field(repr=False)
    start_nfev: IntArray = field(repr=False)
    start_status: IntArray = field(repr=False)
    delta: float
    reduction: str
    backend: str

    def __post_init__(self) -> None:
        for name in (
            "theta",
            "grad",
            "start_thetas",
            "end_thetas",
            "start_objectives",
            "start_grad_norms",
            "start_nit",
            "start_nfev",
            "start_status",
        ):
            readonly(getattr(self, name))

    @property
    def success(self) -> bool:
        """True when the best start converged (gradient verified at exit)."""
        return self.status is FitStatus.SUCCESS

    @property
    def message(self) -> str:
        return self.status.value

    @property
    def E(self) -> float:
        return self.law.E

    @property
    def A(self) -> float:
        return self.law.A

    @property
    def B(self) -> float:
        return self.law.B

    @property
    def alpha(self) -> float:
        return self.law.alpha

    @property
    def beta(self) -> float:
        return self.law.beta

    def start_status_counts(self) -> dict[str, int]:
        """How many starts ended in each :class:`StartStatus`."""
        codes = np.bincount(self.start_status, minlength=len(StartStatus))
        return {s.name: int(codes[s.value]) for s in StartStatus}

    def summary(self) -> str:
        """A readable multi-line report of the fit."""
        law = self.law
        counts = ", ".join(f"{k.lower()} {v}" for k, v in self.start_status_counts().items() if v)
        lines = [
            "Chinchilla parametric fit  L(N, D) = E + A/N^alpha + B/D^beta",
            f"  E     = {law.E:.10g}",
            f"  A     = {law.A:.10g}",
            f"  B     = {law.B:.10g}",
            f"  alpha = {law.alpha:.10g}",
            f"  beta  = {law.beta:.10g}",
            f"  a = beta/(alpha+beta) = {law.a:.6f}   b = {law.b:.6f}   G = {law.G:.6g}",
            f"  objective ({self.reduction} Huber, delta={self.delta:g}) = {self.objective:.10e}",
            f"  points {self.n_points}, starts {self.n_starts} ({counts})",
            f"  max|grad| = {self.grad_norm:.3g} (gtol {self.gtol:.3g}); status: {self.message}",
        ]
        if self.on_grid_boundary:
            lines.append("  warning: the best start lies on the boundary of the start grid")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ParametricFit(law={self.law!r}, objective={self.objective:.10e}, "
            f"status={self.status.name}, n_starts={self.n_starts}, "
            f"n_converged={self.n_converged})"
        )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Validated, standardised data shared by the fit and the bootstrap."""

    x: FloatArray
    y: FloatArray
    logl: FloatArray
    weights: FloatArray
    scaling: _Scaling
    delta: float
    reduction: str
    n: int

    @property
    def weight_scale(self) -> float:
        return float(self.weights.sum())

    def objective_weights(self, weights: FloatArray) -> FloatArray:
        if self.reduction == "mean":
            return np.ascontiguousarray(weights / weights.sum())
        return np.ascontiguousarray(weights)

    def abs_gtol(self, gtol: float, weights: FloatArray) -> float:
        scale = self.delta * (1.0 if self.reduction == "mean" else float(weights.sum()))
        return gtol * scale


def _prepare(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    delta: Any,
    reduction: Any,
    weights: ArrayLike | None,
) -> _Prepared:
    n = as_float_array(n_params, "n_params", positive=True)
    d = as_float_array(n_tokens, "n_tokens", positive=True)
    lo = as_float_array(loss, "loss", positive=True)
    size = same_length(n_params=n, n_tokens=d, loss=lo)
    if size <= N_THETA:
        raise ValueError(f"the fit needs more points than its 5 parameters; got {size} points.")
    dl = as_positive_scalar(delta, "delta")
    red = as_choice(reduction, "reduction", ("sum", "mean"))
    if weights is None:
        w = np.ones(size)
    else:
        w = as_float_array(weights, "weights", nonnegative=True)
        same_length(n_params=n, weights=w)
        if np.count_nonzero(w) <= N_THETA:
            raise ValueError(
                "`weights` must have more non-zero entries than the 5 parameters; "
                f"got {np.count_nonzero(w)}."
            )
    log_n = np.log(n)
    log_d = np.log(d)
    scaling = _Scaling.from_data(log_n, log_d)
    x, y = scaling.standardise(log_n, log_d)
    active = w > 0
    for name, col in (("n_params", x), ("n_tokens", y)):
        if np.ptp(col[active]) == 0:
            raise ValueError(
                f"`{name}` must take at least two distinct values; got one for every point: "
                "its exponent cannot be fitted."
            )
    # log N and log D on one line (e.g. every run at the same tokens per parameter):
    # A/N^alpha and B/D^beta cannot be told apart
    xa = x[active] - x[active].mean()
    ya = y[active] - y[active].mean()
    corr = float(xa @ ya / math.sqrt(float(xa @ xa) * float(ya @ ya)))
    if abs(corr) > 1.0 - 1e-9:
        raise ValueError(
            "`n_params` and `n_tokens` lie on one line in log space (correlation "
            f"{corr:.12f}), e.g. all runs use one tokens-per-parameter ratio; the N and D "
            "terms of the law cannot be told apart. Add runs at other ratios."
        )
    return _Prepared(
        x=x, y=y, logl=np.log(lo), weights=w, scaling=scaling, delta=dl, reduction=red, n=size
    )


DEAD_SHARE = 1e-6
"""A term whose share of the predicted loss stays below this at every point is dead."""


def degenerate_terms(thetas: FloatArray, data: _Prepared, weights: FloatArray) -> BoolArray:
    """Per row of ``thetas``: is a term of the law dead or constant on the data?

    A term is dead when its share of the predicted loss is below ``DEAD_SHARE`` at
    every point with non-zero weight, and constant when its exponent moves its
    logarithm by less than ``DEAD_SHARE`` across the points. Either way the data
    cannot determine its parameters.
    """
    active = weights > 0
    x = data.x[active]
    y = data.y[active]
    u = data.scaling.to_u(np.atleast_2d(thetas))
    p = np.stack(
        [
            u[:, 0:1] - u[:, 3:4] * x[None, :],
            u[:, 1:2] - u[:, 4:5] * y[None, :],
            np.broadcast_to(u[:, 2:3], (u.shape[0], x.size)),
        ]
    )
    m = p.max(axis=0)
    shares = np.exp(p - m) / np.exp(p - m).sum(axis=0)
    dead = (shares.max(axis=2) < DEAD_SHARE).any(axis=0)
    flat = (np.abs(u[:, 3]) * np.ptp(x) < DEAD_SHARE) | (np.abs(u[:, 4]) * np.ptp(y) < DEAD_SHARE)
    out: BoolArray = dead | flat
    return out


def _boundary_mask(starts: FloatArray) -> BoolArray:
    """Per start, whether it sits on the min/max of a coordinate with >= 3 levels.

    Coordinates with fewer levels are not a grid axis (random or hand-picked
    starts), so they define no boundary.
    """
    on = np.zeros(starts.shape[0], dtype=bool)
    for k in range(N_THETA):
        col = starts[:, k]
        if np.unique(col).size >= 3:
            on |= (col == col.min()) | (col == col.max())
    return on


def fit_parametric(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    starts: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    max_iter: int = 1000,
    gtol: float = 1e-7,
    abandon: bool = True,
    backend: Literal["numba", "jax"] = "numba",
    warn: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ParametricFit:
    r"""Fit ``L(N, D) = E + A/N**alpha + B/D**beta`` (Hoffmann et al. 2022, Approach 3).

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        Parameters ``N``, training tokens ``D`` and final loss of each run
        (positive, finite, equal lengths, more than 5 points). With budgets
        instead of tokens, use ``D = C / (6 N)`` (see :mod:`chinchilla_laws.flops`).
    delta : float, default 1e-3
        Huber threshold on log-loss residuals (the paper's value).
    reduction : {"sum", "mean"}, default "sum"
        ``"sum"`` is the paper's objective. ``"mean"`` divides by the total weight;
        it is the reduction behind the original paper's premature stop (with
        absolute default tolerances L-BFGS then stops near its start). Here the
        gradient tolerance scales with the reduction, so both converge to the
        same optimum.
    starts : array_like of shape (S, 5), optional
        Initial ``theta = (a, b, e, alpha, beta)`` rows. Default: the paper's
        4,500-point grid (:func:`paper_grid`); see also :func:`random_starts`.
    weights : array_like, optional
        Non-negative weights on the points' Huber losses.
    max_iter : int, default 1000
        L-BFGS iterations per start.
    gtol : float, default 1e-7
        Convergence requires ``max|grad| <= gtol * delta * sum(weights)`` in the
        solver's standardised coordinates (``delta * sum(weights)`` is the size
        of the gradient when every residual is in the linear regime).
    abandon : bool, default True
        Stop starts stuck far above the best objective (see Notes). ``False`` runs
        every start to convergence or ``max_iter``.
    backend : {"numba", "jax"}, default "numba"
        ``"jax"`` runs the same algorithm (L-BFGS in rounds, abandonment) as
        jitted JAX rounds over batches of starts, in float64, on whatever device
        JAX uses (needs the ``jax`` extra; timings on the Benchmarks page).
    warn : bool, default True
        Emit :class:`ConvergenceWarning`, :class:`GridBoundaryWarning` or
        :class:`IdentifiabilityWarning` when the result is flagged.
    progress : callable, optional
        Called as ``progress(finished_starts, n_starts)`` after every round of the
        solver (either backend).

    Returns
    -------
    ParametricFit

    Notes
    -----
    The objective is minimised in standardised coordinates: with
    ``x = (log N - mean) / sd`` and likewise ``y``, the solver's variables are
    ``u = (a - alpha mean_x, b - beta mean_y, e, alpha sd_x, beta sd_y)``. This
    linear change of variables leaves the minimiser unchanged and removes the
    strong ``a``--``alpha`` and ``b``--``beta`` correlation that makes the raw
    problem badly conditioned (condition number about 1e11 on Chinchilla's data).

    Each start runs L-BFGS (memory 10) with a strong-Wolfe line search. Starts
    advance in rounds of two iterations; a start that after 4 iterations is
    more than 5 % above the batch's best objective and gained less than 0.5 % of
    that gap in its last round is *abandoned* (status ``ABANDONED``): on this
    problem such starts sit on plateaus where one term of the law is numerically
    dead, and following them costs most of the run time for nothing.

    Convergence is verified, not assumed: a start counts as converged only if
    its gradient at exit is below ``gtol``. If the best start is not, the fit is
    flagged and a :class:`ConvergenceWarning` is emitted.

    References
    ----------
    Hoffmann et al. (2022), arXiv:2203.15556, Section 3.3 and Appendix D.2.
    Besiroglu et al. (2024), arXiv:2404.10102.

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX, fit_parametric
    >>> n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    >>> loss = HOFFMANN_2022_TEX.loss(n, d).ravel()
    >>> fit = fit_parametric(n.ravel(), d.ravel(), loss)
    >>> print(f"alpha={fit.alpha:.4f} beta={fit.beta:.4f}")
    alpha=0.3392 beta=0.2849
    """
    data = _prepare(n_params, n_tokens, loss, delta=delta, reduction=reduction, weights=weights)
    if starts is None:
        theta0 = paper_grid()
    else:
        theta0 = as_float_array(starts, "starts", ndim=2)
        if theta0.shape[1] != N_THETA or theta0.shape[0] < 1:
            raise ValueError(
                "`starts` must have shape (n_starts, 5) with columns (a, b, e, alpha, beta); "
                f"got shape {theta0.shape}."
            )
    iters = as_int(max_iter, "max_iter", minimum=1)
    g_rel = as_positive_scalar(gtol, "gtol")
    do_abandon = as_bool(abandon, "abandon")
    be = as_choice(backend, "backend", ("numba", "jax"))
    do_warn = as_bool(warn, "warn")
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None; got {type(progress).__name__}.")

    w_obj = data.objective_weights(data.weights)
    g_abs = data.abs_gtol(g_rel, data.weights)
    u0 = data.scaling.to_u(theta0)

    opts = SolverOptions(max_iter=iters, gtol=g_abs, abandon=do_abandon)
    index = np.zeros(u0.shape[0], dtype=np.int64)
    if be == "jax":
        from . import _jax

        res = _jax.solve_batch(u0, w_obj[None, :], index, data, opts, progress)
    else:
        res = solve_batch(
            u0, w_obj[None, :], index, data.x, data.y, data.logl, data.delta, opts, progress
        )
    return _assemble(data, theta0, res, g_abs, be, do_warn)


def _assemble(
    data: _Prepared, theta0: FloatArray, res: Any, g_abs: float, backend: str, do_warn: bool
) -> ParametricFit:
    f = np.where(np.isfinite(res.f), res.f, np.inf)
    gnorms = np.max(np.abs(res.grad), axis=1)
    status = np.asarray(res.status, dtype=np.int64)
    if not np.isfinite(f).any():
        raise FloatingPointError(
            "the objective is not finite at any start; check `starts` and the data scale."
        )
    theta_end = data.scaling.to_theta(res.u)
    physical = (theta_end[:, 3] > 0) & (theta_end[:, 4] > 0) & np.isfinite(f)
    if not physical.any():
        raise FloatingPointError(
            "every start ended with a non-positive exponent (alpha or beta <= 0): the data "
            "do not constrain the law, or the `starts` are far from any optimum. Check that "
            "N and D both vary independently and that the starts are sensible."
        )
    nonphysical = not physical[int(np.argmin(f))]
    f = np.where(physical, f, np.inf)
    best = int(np.argmin(f))
    f_best = float(f[best])
    converged = status == StartStatus.CONVERGED
    # starts that reached the same optimum (same end point, same objective); among
    # them prefer a converged, interior one
    close = np.all(
        np.abs(theta_end - theta_end[best]) <= 1e-4 * (1.0 + np.abs(theta_end[best])), axis=1
    )
    ties = close & (f <= f_best + 1e-6 * abs(f_best) + 1e-12)
    boundary = _boundary_mask(theta0)
    pick = ties & converged & ~boundary
    if not pick.any():
        pick = ties & converged
    if pick.any():
        best = int(np.flatnonzero(pick)[0])
    theta_best = theta_end[best]
    lo, hi = theta0.min(axis=0), theta0.max(axis=0)
    # the grid's box, on the coordinates that are gridded (three or more levels)
    gridded = np.array([np.unique(theta0[:, k]).size >= 3 for k in range(N_THETA)])
    outside = bool(np.any(((theta_best < lo) | (theta_best > hi)) & gridded))
    on_boundary = bool((boundary[ties].all() and boundary.any()) or outside)
    n_conv = int(converged.sum())
    degenerate = bool(degenerate_terms(theta_best[None, :], data, data.weights)[0])
    if nonphysical:
        fit_status = FitStatus.NONPHYSICAL_OPTIMUM
    elif degenerate:
        fit_status = FitStatus.DEGENERATE
    elif converged[best]:
        fit_status = FitStatus.SUCCESS
    elif n_conv == 0:
        fit_status = FitStatus.NO_START_CONVERGED
    else:
        fit_status = FitStatus.BEST_NOT_CONVERGED
    law = ChinchillaLaw.from_theta(theta_best)
    grad_theta = data.scaling.grad_to_theta(res.grad[best])[0]
    result = ParametricFit(
        law=law,
        theta=np.array(theta_best),
        objective=f_best,
        grad=np.ascontiguousarray(grad_theta),
        grad_norm=float(gnorms[best]),
        gtol=g_abs,
        status=fit_status,
        on_grid_boundary=on_boundary,
        best_start=best,
        n_points=data.n,
        n_starts=theta0.shape[0],
        n_converged=n_conv,
        n_abandoned=int((status == StartStatus.ABANDONED).sum()),
        nit=int(np.sum(res.nit)),
        nfev=int(np.sum(res.nfev)),
        start_thetas=np.array(theta0),
        end_thetas=np.ascontiguousarray(theta_end),
        start_objectives=np.asarray(res.f, dtype=np.float64).copy(),
        start_grad_norms=np.ascontiguousarray(gnorms),
        start_nit=np.asarray(res.nit, dtype=np.int64).copy(),
        start_nfev=np.asarray(res.nfev, dtype=np.int64).copy(),
        start_status=status.copy(),
        delta=data.delta,
        reduction=data.reduction,
        backend=backend,
    )
    if do_warn:
        if fit_status is FitStatus.DEGENERATE:
            warn(
                f"fit_parametric: {fit_status.value} (E={law.E:.4g}, A={law.A:.4g}, "
                f"B={law.B:.4g}, alpha={law.alpha:.4g}, beta={law.beta:.4g}).",
                IdentifiabilityWarning,
            )
        elif fit_status is not FitStatus.SUCCESS:
            warn(
                f"fit_parametric: {fit_status.value} (max|grad| = {gnorms[best]:.3g}, "
                f"gtol = {g_abs:.3g}, status of best start: "
                f"{StartStatus(int(status[best])).name}).",
                ConvergenceWarning,
            )
        if on_boundary:
            warn(
                "fit_parametric: the best start lies on the boundary of the start grid "
                "(or the optimum lies outside it); widen the grid.",
                GridBoundaryWarning,
            )
    return result


def objective(
    theta: ArrayLike,
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    weights: ArrayLike | None = None,
) -> tuple[float, FloatArray]:
    """The fit's objective and its gradient with respect to ``theta`` at one point.

    Useful for checking a published parameter set against data: a converged
    optimum has a gradient near zero.
    """
    data = _prepare(n_params, n_tokens, loss, delta=delta, reduction=reduction, weights=weights)
    t = as_float_array(theta, "theta")
    if t.shape != (N_THETA,):
        raise ValueError(f"`theta` must have 5 entries (a, b, e, alpha, beta); got {t.shape[0]}.")
    u = data.scaling.to_u(t)[0]
    g = np.empty(N_THETA)
    f = K.objective_grad(
        u, data.x, data.y, data.logl, data.objective_weights(data.weights), data.delta, g
    )
    return float(f), data.scaling.grad_to_theta(g)[0]
