r"""Fitting the multi-power law on several loss curves at once.

The fit minimises the summed Huber loss (threshold ``delta``, 1e-3 by default) of log
residuals over every logged point of every curve,

.. math::

    \sum_{c} \sum_{i} w_{ci}\,\mathrm{Huber}_\delta\bigl(\log \hat L_c(t_i) - \log L_{ci}\bigr),

in the coordinates ``theta = (L0, log A, log alpha, log B, log C, log beta, log gamma)``
(Luo et al. 2025, §4), by L-BFGS from several starts run in rounds, with abandonment of
starts that trail the best or duplicate it. Convergence is verified by the gradient at
exit. Parameters can be held fixed or tied (one shared value).

:class:`MultiPowerLawFamily` registers the law with the fitting engine as
``"multi_power"``: ``fit_law("multi_power", {"curves": curves})`` (or a long table
``{"curve", "step", "loss", "schedules"}``) runs the engine's multi-start L-BFGS rounds
and fixed/tied parameters on the serial kernel :func:`_mpl_kernels.objective_grad`.
The JAX objective (:meth:`MultiPowerLawFamily.jax_objective`) is dense over (point,
change point) and matches the kernel; a whole ``backend="jax"`` fit on a CPU did not
finish within 300 s on the small synthetic test curves, so use the Numba backend.
:func:`fit_multi_power` drives the same family description with its own L-BFGS in
rounds and the kernels parallel over points, and
:func:`bootstrap_multi_power` adds the block bootstrap within curves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _mpl_kernels as MK
from ._typing import FloatArray, IntArray, freeze_arrays
from ._validation import (
    _describe,
    as_float_array,
    as_int,
    as_positive_scalar,
    as_rng,
    tied_groups,
)
from ._warn import warn
from .family import Design, LawFamily, register_family
from .multipower import (
    PARAM_NAMES,
    LossCurve,
    MultiPowerLaw,
    _pack_curves,
    _Packed,
    as_curves,
    curves_from_table,
)
from .result import BatchStatus, Result
from .warnings import ConvergenceWarning

__all__ = [
    "MULTI_POWER_FAMILY",
    "MultiPowerBootstrap",
    "MultiPowerFamily",
    "MultiPowerFit",
    "MultiPowerLawFamily",
    "MultiPowerStatus",
    "bootstrap_multi_power",
    "fit_multi_power",
]

N_PARAMS = len(PARAM_NAMES)


@dataclass(frozen=True, slots=True, eq=False)
class MultiPowerDesign:
    """Kernel inputs: per point ``X = (cs[t], kbeg, kend)``, ``aux = (kd, klog, kcs)``."""

    X: FloatArray
    aux: FloatArray
    target: FloatArray
    point_offsets: IntArray
    packed: _Packed


class MultiPowerFamily:
    """The multi-power law as a law family (the fitting engine's contract).

    ``theta = (L0, log A, log alpha, log B, log C, log beta, log gamma)``: every
    parameter but ``L0`` is positive and fitted in log space. ``C`` is the paper's
    dimensionless constant, not compute.
    """

    name = "multi_power"
    equation = (
        "L(t) = L0 + A*S1(t)^-alpha "
        "- B*sum_k (eta[k-1]-eta[k])*(1-(1+C*eta[k]^-gamma*S_k(t))^-beta)"
    )
    param_names: tuple[str, ...] = PARAM_NAMES
    theta_params: tuple[str, ...] = PARAM_NAMES
    log_theta: tuple[bool, ...] = (False, True, True, True, True, True, True)
    theta_names: tuple[str, ...] = (
        "L0",
        "log A",
        "log alpha",
        "log B",
        "log C",
        "log beta",
        "log gamma",
    )
    exponents: tuple[str, ...] = ("alpha", "beta", "gamma")
    data_names: tuple[str, ...] = ("curves",)
    kernel = MK.objective_grad

    def design(self, curves: Sequence[LossCurve]) -> MultiPowerDesign:
        """Pack the curves for :func:`_mpl_kernels.objective_grad`."""
        packed = _pack_curves(curves)
        X = np.column_stack([packed.s1, packed.kbeg, packed.kend]).astype(np.float64)
        aux = np.concatenate([packed.kd, packed.klog, packed.kcs])
        target = np.log(np.concatenate([c.loss for c in curves]))
        return MultiPowerDesign(
            X=np.ascontiguousarray(X),
            aux=np.ascontiguousarray(aux),
            target=np.ascontiguousarray(target),
            point_offsets=packed.point_offsets,
            packed=packed,
        )

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        """The kernel's objective in ``jax.numpy`` (the JAX backend differentiates it).

        Dense over (point, change point): a change point ``j`` counts for point ``i``
        when ``kbeg_i <= j < kend_i``; the others are masked before any logarithm.
        Memory grows as points x change points (451 x 28,000 for Luo et al.'s
        training curves).
        """
        import jax.numpy as jnp

        n_k = aux.shape[0] // 3
        kd = aux[:n_k]
        klog = aux[n_k : 2 * n_k]
        kcs = aux[2 * n_k :]
        l0 = u[0]
        a, alpha, b, c, beta, gamma = (jnp.exp(u[k]) for k in range(1, 7))
        s1 = X[:, 0]
        j = jnp.arange(n_k)
        mask = (j[None, :] >= X[:, 1:2]) & (j[None, :] < X[:, 2:3])
        v = c * jnp.exp(-gamma * klog)
        x = jnp.where(mask, v[None, :] * (s1[:, None] - kcs[None, :]), 0.0)
        term = jnp.where(mask, kd[None, :] * (1.0 - jnp.exp(-beta * jnp.log1p(x))), 0.0)
        pred = l0 + a * jnp.exp(-alpha * jnp.log(s1)) - b * jnp.sum(term, axis=1)
        r = jnp.log(pred) - target
        cl = jnp.clip(r, -delta, delta)
        return jnp.sum(w * cl * (r - 0.5 * cl))

    def default_starts(self) -> FloatArray:
        """Four starts in ``theta``: ``L0`` in {1.5, 3}, ``(alpha, gamma)`` low and high.

        ``A = 0.5``, ``B = 300``, ``C = 2``, ``beta = 0.5`` throughout: the order of
        magnitude of every published fit; the data fix ``L0`` and the exponents.
        """
        rows = [
            (l0, 0.5, al, 300.0, 2.0, 0.5, ga)
            for l0 in (1.5, 3.0)
            for al, ga in ((0.3, 0.3), (0.6, 0.6))
        ]
        return np.array(
            [self.theta_from_params(dict(zip(PARAM_NAMES, r, strict=True))) for r in rows]
        )

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> MultiPowerLaw:
        """The law with these parameter values (``name`` is ignored)."""
        return MultiPowerLaw(*(float(params[k]) for k in PARAM_NAMES))

    def params_from_theta(self, theta: ArrayLike) -> dict[str, float]:
        t = np.asarray(theta, dtype=np.float64)
        with np.errstate(over="ignore"):
            vals = np.where(self.log_theta, np.exp(t), t)
        return dict(zip(PARAM_NAMES, vals.tolist(), strict=True))

    def theta_from_params(self, params: Mapping[str, float]) -> FloatArray:
        vals = np.array([float(params[k]) for k in PARAM_NAMES])
        return np.where(self.log_theta, np.log(vals), vals)

    def law_from_theta(self, theta: ArrayLike) -> MultiPowerLaw:
        return self.make_law(self.params_from_theta(theta))


FAMILY = MultiPowerFamily()


class MultiPowerLawFamily(LawFamily):
    """The multi-power law registered with the fitting engine as ``"multi_power"``.

    ``fit_law("multi_power", data)`` takes ``data = {"curves": [LossCurve, ...]}`` or a
    long table ``{"curve": ids, "step": steps, "loss": losses, "schedules": {id: rates}}``
    and runs the engine's multi-start L-BFGS rounds (with abandonment and fixed/tied
    parameters) on :func:`_mpl_kernels.objective_grad`. :func:`fit_multi_power` drives
    the same family description with its own solver and adds the block bootstrap within curves.
    """

    name = "multi_power"
    equation = MultiPowerFamily.equation
    param_names = PARAM_NAMES
    theta_params = PARAM_NAMES
    log_theta = MultiPowerFamily.log_theta
    theta_names = MultiPowerFamily.theta_names
    # alpha, beta and gamma are fitted in log space, positive by construction (the
    # engine's exponent check reads theta, here their logarithms)
    exponents = ()
    data_names = ("curves",)
    start_low = (1.0, math.log(0.1), math.log(0.1), math.log(30.0), math.log(0.1),
                 math.log(0.1), math.log(0.1))  # fmt: skip
    start_high = (4.0, math.log(3.0), math.log(1.0), math.log(3000.0), math.log(10.0),
                  math.log(1.5), math.log(1.5))  # fmt: skip

    @property
    def kernel(self) -> Any:
        return MK.objective_grad

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        return FAMILY.jax_objective(u, X, aux, target, w, delta)

    def check_data(self, data: Mapping[str, Any]) -> dict[str, FloatArray]:
        """Curves (``{"curves": [...]}``) or a long table with ``schedules``, packed.

        Returns per-point columns (``curves``: the curve index, ``loss``, ``s1``,
        ``kbeg``, ``kend``) and ``aux``, the change points of all curves.
        """
        if not isinstance(data, Mapping):
            raise TypeError(
                "`data` must be {'curves': [LossCurve, ...]} or a long table "
                f"{{'curve', 'step', 'loss', 'schedules'}}; got {_describe(data)}."
            )
        keys = set(data)
        if keys == {"curves"}:
            curves = as_curves(data["curves"], "curves")
        elif keys == {"curve", "step", "loss", "schedules"}:
            curves = curves_from_table(data, data["schedules"])
        else:
            raise ValueError(
                "`data` must have the key 'curves' or the keys 'curve', 'step', 'loss', "
                f"'schedules' for the 'multi_power' family; got {sorted(keys)}."
            )
        d = FAMILY.design(curves)
        index = np.repeat(np.arange(len(curves), dtype=np.float64), np.diff(d.point_offsets))
        return {
            "curves": index,
            "loss": np.exp(d.target),
            "s1": d.X[:, 0].copy(),
            "kbeg": d.X[:, 1].copy(),
            "kend": d.X[:, 2].copy(),
            "aux": d.aux,
        }

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        X = np.column_stack([data["s1"], data["kbeg"], data["kend"]])
        return Design(
            X=X,
            target=np.log(data["loss"]),
            scale=np.eye(N_PARAMS),
            offset=np.zeros(N_PARAMS),
            aux=data["aux"],
        )

    def default_starts(self) -> FloatArray:
        return FAMILY.default_starts()

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> MultiPowerLaw:
        return FAMILY.make_law(params)


MULTI_POWER_FAMILY = register_family(MultiPowerLawFamily())
"""The engine's ``"multi_power"`` family (``fit_law("multi_power", data)``)."""


class MultiPowerStatus(Enum):
    """Overall outcome of a fit; the value is the message."""

    SUCCESS = "converged: the gradient at the best start is below tolerance"
    BEST_NOT_CONVERGED = (
        "the best start did not converge (gradient above tolerance at exit); the "
        "parameters may be inaccurate"
    )
    NO_START_CONVERGED = "no start converged; the result is the lowest objective seen"


# per-start exit codes
CONVERGED, MAX_ITER, LINE_SEARCH_FAILED, NON_FINITE, ABANDONED = 0, 1, 2, 3, 4
START_STATUS_NAMES = ("converged", "max_iter", "line_search_failed", "non_finite", "abandoned")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class MultiPowerFit(Result):
    """Result of :func:`fit_multi_power`.

    Attributes
    ----------
    law : MultiPowerLaw
        The fitted law, unrounded.
    theta : ndarray, shape (7,)
        ``(L0, log A, log alpha, log B, log C, log beta, log gamma)`` at the optimum.
    objective : float
        Summed weighted Huber objective at the optimum.
    grad : ndarray, shape (7,)
        Its gradient in ``theta`` (zero for fixed parameters; tied ones share).
    grad_norm, gtol : float
        ``max|gradient|`` over the free coordinates, and the bound it is checked
        against (``gtol`` relative times ``delta * sum(weights)``).
    status : MultiPowerStatus
    best_start : int
    n_points, n_curves, n_starts, n_converged, n_abandoned, nit, nfev : int
    curve_names : tuple of str
    fixed : mapping of str to float
    tied : tuple of tuple of str
    delta : float
    start_thetas, end_thetas : ndarray, shape (n_starts, 7)
    start_objectives, start_grad_norms : ndarray, shape (n_starts,)
    start_status : ndarray of int
        Per start: 0 converged, 1 max_iter, 2 line search failed, 3 non-finite,
        4 abandoned.
    start_nit : ndarray of int
        L-BFGS iterations per start.
    """

    law: MultiPowerLaw
    theta: FloatArray
    objective: float
    grad: FloatArray
    grad_norm: float
    gtol: float
    status: MultiPowerStatus
    best_start: int
    n_points: int
    n_curves: int
    n_starts: int
    n_converged: int
    n_abandoned: int
    nit: int
    nfev: int
    curve_names: tuple[str, ...]
    fixed: Mapping[str, float]
    tied: tuple[tuple[str, ...], ...]
    delta: float
    start_thetas: FloatArray = field(repr=False)
    end_thetas: FloatArray = field(repr=False)
    start_objectives: FloatArray = field(repr=False)
    start_grad_norms: FloatArray = field(repr=False)
    start_status: IntArray = field(repr=False)
    start_nit: IntArray = field(repr=False)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def success(self) -> bool:
        return self.status is MultiPowerStatus.SUCCESS

    @property
    def message(self) -> str:
        return self.status.value

    @property
    def params(self) -> dict[str, float]:
        """The fitted parameters by name."""
        return dict(zip(PARAM_NAMES, self.law.param_vector.tolist(), strict=True))

    def summary(self) -> str:
        """A readable report of the fit."""
        from .report import multi_power_fit_summary

        return multi_power_fit_summary(self)


# ----------------------------------------------------------------------------- constraints


def _constraints(
    fixed: Any, tied: Any
) -> tuple[dict[str, float], tuple[tuple[str, ...], ...], FloatArray, FloatArray]:
    """Validate ``fixed``/``tied``; return the map ``theta = M @ v + c``."""
    fx: dict[str, float] = {}
    if fixed is not None:
        if not isinstance(fixed, Mapping):
            raise TypeError(
                f"`fixed` must be a mapping from parameter names to values; got {_describe(fixed)}."
            )
        for key, value in fixed.items():
            if key not in PARAM_NAMES:
                raise ValueError(
                    f"`fixed` names unknown parameter {key!r}; the multi-power law has "
                    f"{list(PARAM_NAMES)}."
                )
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise TypeError(f"`fixed[{key!r}]` must be a real number; got {_describe(value)}.")
            val = float(value)
            if not math.isfinite(val) or (key != "L0" and val <= 0):
                kind = "finite" if key == "L0" else "positive and finite"
                raise ValueError(f"`fixed[{key!r}]` must be {kind}; got {val!r}.")
            fx[key] = val
    groups: list[tuple[str, ...]] = []
    if tied is not None:
        groups = tied_groups(tied, PARAM_NAMES, fx, "the multi-power law")
        for named in groups:
            if "L0" in named:
                raise ValueError(
                    "`tied` cannot tie `L0` (a loss, fitted as is) to a positive parameter "
                    "(fitted in log space)."
                )
    free_groups: list[tuple[int, ...]] = [tuple(PARAM_NAMES.index(k) for k in g) for g in groups]
    grouped = {i for g in free_groups for i in g}
    for i, k in enumerate(PARAM_NAMES):
        if k not in fx and i not in grouped:
            free_groups.append((i,))
    free_groups.sort(key=min)
    M = np.zeros((N_PARAMS, len(free_groups)))
    for j, g in enumerate(free_groups):
        M[list(g), j] = 1.0
    c = np.zeros(N_PARAMS)
    for k, val in fx.items():
        c[PARAM_NAMES.index(k)] = val if k == "L0" else math.log(val)
    return fx, tuple(groups), M, c


# ----------------------------------------------------------------------------- driver


@dataclass(slots=True)
class _Objective:
    """``f(v)`` and its gradient for the free coordinates ``v`` (``theta = M v + c``)."""

    design: MultiPowerDesign
    w: FloatArray
    delta: float
    M: FloatArray
    c: FloatArray
    nfev: int = 0

    def theta(self, v: FloatArray) -> FloatArray:
        return np.asarray(self.M @ v + self.c, dtype=np.float64)

    def value_grad_theta(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Objective and gradient in ``theta`` (the kernels parallel over points; the
        same values as the engine kernel :func:`_mpl_kernels.objective_grad`)."""
        with np.errstate(over="ignore"):
            dp = np.where(FAMILY.log_theta, np.exp(theta), 1.0)
        p = np.where(FAMILY.log_theta, dp, theta)
        pred, jac = self.design.packed.jacobian(p)
        grad = np.empty(N_PARAMS)
        f = MK.huber_objective_grad(pred, jac, self.design.target, self.w, self.delta, grad)
        return float(f), grad * dp

    def __call__(self, v: FloatArray) -> tuple[float, FloatArray]:
        self.nfev += 1
        f, g = self.value_grad_theta(self.theta(v))
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.zeros(v.size)
        return f, np.asarray(self.M.T @ g, dtype=np.float64)


@dataclass(slots=True)
class _Run:
    """One start's L-BFGS state, advanced a few iterations per round."""

    v: FloatArray
    f: float
    g: FloatArray
    s_hist: list[FloatArray] = field(default_factory=list)
    y_hist: list[FloatArray] = field(default_factory=list)
    nit: int = 0
    status: int = -1  # -1 running
    f_round: float = math.inf  # objective at the start of the last round


HISTORY = 10
ARMIJO = 1e-4


def _direction(run: _Run) -> FloatArray:
    """Two-loop recursion: ``-H g`` with the stored curvature pairs."""
    q = run.g.copy()
    alphas = []
    for s_k, y_k in zip(reversed(run.s_hist), reversed(run.y_hist), strict=True):
        rho = 1.0 / float(y_k @ s_k)
        a = rho * float(s_k @ q)
        q -= a * y_k
        alphas.append((a, rho, s_k, y_k))
    if run.s_hist:
        s_k, y_k = run.s_hist[-1], run.y_hist[-1]
        q *= float(s_k @ y_k) / float(y_k @ y_k)
    else:
        q /= max(float(np.max(np.abs(q))), 1e-300) * 10.0  # first step: 0.1 in theta
    for a, rho, s_k, y_k in reversed(alphas):
        b = rho * float(y_k @ q)
        q += (a - b) * s_k
    return -q


def _iterate(obj: _Objective, run: _Run, n_iter: int, max_iter: int, gtol_abs: float) -> None:
    """Advance ``run`` by up to ``n_iter`` L-BFGS iterations (backtracking Armijo search;
    a non-finite trial point halves the step)."""
    for _ in range(n_iter):
        if float(np.max(np.abs(run.g))) <= gtol_abs:
            run.status = CONVERGED
            return
        if run.nit >= max_iter:
            run.status = MAX_ITER
            return
        d = _direction(run)
        slope = float(run.g @ d)
        if not slope < 0:
            run.s_hist.clear()
            run.y_hist.clear()
            d = -run.g / max(float(np.max(np.abs(run.g))), 1e-300) * 0.1
            slope = float(run.g @ d)
        t = 1.0
        for _ in range(60):
            v_new = run.v + t * d
            f_new, g_new = obj(v_new)
            if math.isfinite(f_new) and f_new <= run.f + ARMIJO * t * slope:
                break
            t *= 0.5
        else:
            run.status = LINE_SEARCH_FAILED
            return
        s_k = v_new - run.v
        y_k = g_new - run.g
        if float(s_k @ y_k) > 1e-12 * float(y_k @ y_k):
            run.s_hist.append(s_k)
            run.y_hist.append(y_k)
            if len(run.s_hist) > HISTORY:
                run.s_hist.pop(0)
                run.y_hist.pop(0)
        if run.f - f_new <= 1e-15 * abs(run.f) and float(np.max(np.abs(g_new))) > gtol_abs:
            # no measurable progress: the best this run can do in float64
            run.v, run.f, run.g = v_new, f_new, g_new
            run.nit += 1
            run.status = LINE_SEARCH_FAILED
            return
        run.v, run.f, run.g = v_new, f_new, g_new
        run.nit += 1


ROUND_ITERS = 10
"""L-BFGS iterations per start between abandonment checks."""
SAME_BASIN = 0.05
"""Starts closer than this in every ``theta`` coordinate (0.05 in ``L0``, 5% in the
others) to a start with a lower objective are in its basin."""


def _solve(
    obj: _Objective,
    V0: FloatArray,
    max_iter: int,
    gtol_abs: float,
    gap: float,
) -> list[_Run]:
    """All starts in rounds; between rounds, stop starts that duplicate or trail the best.

    A running start is *abandoned* when its objective exceeds the best seen by more
    than ``gap`` (relative) and it gained less than 1% of that gap over the round (a
    worse local minimum or a plateau), or when it has entered the basin of a better
    start (every coordinate within ``SAME_BASIN`` of it): continuing would repeat that
    start's work.
    """
    runs = []
    for v0 in V0:
        f0, g0 = obj(v0)
        run = _Run(v=v0.copy(), f=f0, g=g0)
        if not math.isfinite(f0):
            run.status = NON_FINITE
        runs.append(run)
    while True:
        active = [r for r in runs if r.status == -1]
        if not active:
            return runs
        for r in active:
            r.f_round = r.f
            _iterate(obj, r, ROUND_ITERS, max_iter, gtol_abs)
        finite = [r for r in runs if math.isfinite(r.f)]
        if not finite:
            continue
        best = min(finite, key=lambda r: r.f)
        for r in runs:
            if r.status != -1 or r is best:
                continue
            behind = r.f - best.f
            stuck = behind > gap * abs(best.f) and (r.f_round - r.f) < 0.01 * behind
            same = r.f >= best.f and float(np.max(np.abs(r.v - best.v))) < SAME_BASIN
            if stuck or same:
                r.status = ABANDONED


def fit_multi_power(
    curves: LossCurve | Iterable[LossCurve],
    *,
    delta: float = 1e-3,
    starts: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    weights: ArrayLike | None = None,
    max_iter: int = 3000,
    gtol: float = 1e-6,
    abandon_gap: float = 0.05,
) -> MultiPowerFit:
    r"""Fit the multi-power law to several loss curves at once.

    Parameters
    ----------
    curves : LossCurve or iterable of LossCurve
        The training curves (logged steps, losses and per-step schedules).
    delta : float
        Huber threshold on log residuals (Luo et al.: 1e-3).
    starts : array_like, shape (S, 7), optional
        Starts in ``theta = (L0, log A, log alpha, log B, log C, log beta, log gamma)``;
        default :meth:`MultiPowerFamily.default_starts` (four starts).
    fixed : mapping, optional
        Parameters held at given values, e.g. ``{"gamma": 0.6}``.
    tied : sequence of groups, optional
        Groups of positive parameters that share one value, e.g. ``[("alpha", "beta")]``.
    weights : array_like, optional
        Non-negative weight per logged point (all curves concatenated), e.g. counts
        of a bootstrap resample; default one.
    max_iter : int
        L-BFGS iterations per start.
    gtol : float
        Convergence is verified when ``max|gradient|`` over the free coordinates is at
        most ``gtol * delta * sum(weights)``.
    abandon_gap : float
        Starts run in rounds of 10 L-BFGS iterations; between rounds a start more than
        this fraction above the best objective that has stopped improving, or one
        that has reached a better start's point, is abandoned.

    Returns
    -------
    MultiPowerFit
        A best start that did not verifiably converge gives a non-SUCCESS status and
        a :class:`~chinchilla_laws.ConvergenceWarning`.

    Notes
    -----
    The objective and its gradient come from one Numba pass over the (point, change
    point) pairs: about 2.8 million for the three 24,000-step training curves of one
    model size of Luo et al.

    Examples
    --------
    >>> import numpy as np, chinchilla_laws as cl
    >>> from chinchilla_laws.schedules import cosine, constant
    >>> truth = cl.LUO_2025_100M
    >>> steps = np.arange(200, 3000, 100)
    >>> runs = []
    >>> for name, eta in [("cos", cosine(3000, peak=3e-4, final=3e-5, warmup=200)),
    ...                   ("const", constant(3000, peak=3e-4, warmup=200))]:
    ...     runs.append(cl.LossCurve(name=name, steps=steps, loss=truth.loss(eta, steps),
    ...                              schedule=eta))
    >>> fit = cl.fit_multi_power(runs, fixed={"gamma": truth.gamma, "beta": truth.beta})
    >>> fit.success, round(fit.law.L0, 3)
    (True, 2.651)
    """
    cs = as_curves(curves)
    d = as_positive_scalar(delta, "delta")
    iters = as_int(max_iter, "max_iter", minimum=1)
    g_rel = as_positive_scalar(gtol, "gtol")
    gap = as_positive_scalar(abandon_gap, "abandon_gap")
    fx, groups, M, c = _constraints(fixed, tied)
    design = FAMILY.design(cs)
    n = design.target.size
    if weights is None:
        w = np.ones(n)
    else:
        w = as_float_array(weights, "weights", nonnegative=True)
        if w.shape != (n,):
            raise ValueError(f"`weights` must have one entry per logged point ({n}); got {w.size}.")
        if not np.any(w > 0):
            raise ValueError("`weights` must contain a positive entry; got only zeros.")
    if starts is None:
        S0 = FAMILY.default_starts()
    else:
        S0 = as_float_array(starts, "starts", ndim=2)
        if S0.shape[1] != N_PARAMS or S0.shape[0] < 1:
            raise ValueError(
                f"`starts` must have shape (S, 7) in theta coordinates; got {S0.shape}."
            )
    n_free = M.shape[1]
    if n <= n_free:
        raise ValueError(
            f"`curves` must have more logged points than the {n_free} free parameters; got {n}."
        )
    obj = _Objective(design=design, w=w, delta=d, M=M, c=c)
    # starts in the free coordinates: least-squares projection of each start row
    V0 = np.ascontiguousarray(np.linalg.lstsq(M, (S0 - c).T, rcond=None)[0].T, dtype=np.float64)
    gtol_abs = g_rel * d * float(np.sum(w))
    S = V0.shape[0]
    ends = np.empty((S, N_PARAMS))
    fs = np.full(S, np.nan)
    gns = np.full(S, np.nan)
    st = np.empty(S, dtype=np.int64)
    nits = np.zeros(S, dtype=np.int64)
    runs = _solve(obj, V0, iters, gtol_abs, gap)
    for s, run in enumerate(runs):
        ends[s] = obj.theta(run.v)
        fs[s] = run.f if math.isfinite(run.f) else np.nan
        gns[s] = float(np.max(np.abs(run.g))) if run.g.size else 0.0
        st[s] = run.status
        nits[s] = run.nit
    finite = np.isfinite(fs)
    best = int(np.nanargmin(np.where(finite, fs, np.inf))) if finite.any() else 0
    if finite.any():
        # a start that converged to a clearly worse local minimum counts as abandoned
        worse = finite & (fs > fs[best] + gap * abs(fs[best]))
        st[worse & (st == CONVERGED)] = ABANDONED
    theta = ends[best].copy()
    fbest, gtheta = obj.value_grad_theta(theta)
    gfree = M.T @ gtheta
    grad_norm = float(np.max(np.abs(gfree))) if gfree.size else 0.0
    n_conv = int(np.sum(st == CONVERGED))
    if not math.isfinite(fbest):
        status = MultiPowerStatus.NO_START_CONVERGED
    elif st[best] == CONVERGED:
        status = MultiPowerStatus.SUCCESS
    elif n_conv:
        status = MultiPowerStatus.BEST_NOT_CONVERGED
    else:
        status = MultiPowerStatus.NO_START_CONVERGED
    params = FAMILY.params_from_theta(theta)
    params.update(fx)  # exactly the values given, not exp(log(value))
    law = FAMILY.make_law(params)
    if status is not MultiPowerStatus.SUCCESS:
        warn(f"fit_multi_power: {status.value}.", ConvergenceWarning)
    return MultiPowerFit(
        law=law,
        theta=theta,
        objective=fbest,
        grad=np.where(M.sum(axis=1) > 0, gtheta, 0.0),
        grad_norm=grad_norm,
        gtol=gtol_abs,
        status=status,
        best_start=best,
        n_points=n,
        n_curves=len(cs),
        n_starts=S,
        n_converged=n_conv,
        n_abandoned=int(np.sum(st == ABANDONED)),
        nit=int(nits.sum()),
        nfev=obj.nfev,
        curve_names=tuple(cv.name for cv in cs),
        fixed=dict(fx),
        tied=groups,
        delta=d,
        start_thetas=np.ascontiguousarray(S0, dtype=np.float64).copy(),
        end_thetas=ends,
        start_objectives=fs,
        start_grad_norms=gns,
        start_status=st,
        start_nit=nits,
    )


# ----------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class MultiPowerBootstrap(Result):
    """Result of :func:`bootstrap_multi_power`.

    Attributes
    ----------
    fit : MultiPowerFit
        The fit on the original data (the centre of the resamples).
    params : ndarray, shape (n_resamples, 7)
        Fitted ``(L0, A, alpha, B, C, beta, gamma)`` per resample (NaN where the
        resample failed).
    converged : ndarray of bool, shape (n_resamples,)
    block_length : int
    confidence_level : float
    """

    fit: MultiPowerFit
    params: FloatArray = field(repr=False)
    converged: FloatArray = field(repr=False)
    block_length: int
    confidence_level: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_resamples(self) -> int:
        return int(self.params.shape[0])

    @property
    def n_failed(self) -> int:
        return int(np.sum(~self.converged.astype(bool)))

    @property
    def status(self) -> BatchStatus:
        """:class:`~chinchilla_laws.BatchStatus` from the resamples that failed."""
        return BatchStatus.of(self.n_resamples, self.n_failed)

    @property
    def success(self) -> bool:
        """True when every resample converged."""
        return self.status is BatchStatus.SUCCESS

    @property
    def message(self) -> str:
        return (
            f"{self.n_resamples - self.n_failed} of {self.n_resamples} resamples converged; "
            f"full-data fit: {self.fit.message}"
        )

    def interval(self, name: str) -> tuple[float, float]:
        """Percentile interval ``(low, high)`` of one parameter over converged resamples."""
        if name not in PARAM_NAMES:
            raise ValueError(f"`name` must be one of {list(PARAM_NAMES)}; got {name!r}.")
        vals = self.params[self.converged.astype(bool), PARAM_NAMES.index(name)]
        if vals.size == 0:
            return (math.nan, math.nan)
        tail = 50.0 * (1.0 - self.confidence_level)
        lo, hi = np.percentile(vals, [tail, 100.0 - tail])
        return (float(lo), float(hi))


def block_resample_weights(
    point_offsets: IntArray, block_length: int, rng: np.random.Generator
) -> FloatArray:
    """Moving-block bootstrap within each curve: counts per logged point.

    Each curve of ``n`` points is rebuilt from ``ceil(n / block_length)`` blocks of
    consecutive points with uniformly drawn starts, cut to ``n`` points; the weight of
    a point is the number of times it was drawn.
    """
    total = int(point_offsets[-1])
    w = np.zeros(total)
    for c in range(point_offsets.size - 1):
        lo, hi = int(point_offsets[c]), int(point_offsets[c + 1])
        n = hi - lo
        b = min(block_length, n)
        n_blocks = -(-n // b)
        starts = rng.integers(0, n - b + 1, size=n_blocks)
        idx = (starts[:, None] + np.arange(b)[None, :]).ravel()[:n]
        np.add.at(w, lo + idx, 1.0)
    return w


def bootstrap_multi_power(
    curves: LossCurve | Iterable[LossCurve],
    *,
    n_resamples: int = 200,
    block_length: int = 10,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    delta: float = 1e-3,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    fit: MultiPowerFit | None = None,
) -> MultiPowerBootstrap:
    """Block-bootstrap uncertainty of a multi-power fit.

    Three curves are too few to resample whole, and neighbouring points of one curve
    are correlated; so each resample redraws blocks of ``block_length`` consecutive
    logged points *within* every curve (a moving-block bootstrap) and refits with the
    resulting counts as weights, starting from the original optimum.

    Parameters
    ----------
    curves : LossCurve or iterable of LossCurve
    n_resamples, block_length : int
    confidence_level : float
        For :meth:`MultiPowerBootstrap.interval`.
    rng : seed or Generator
        SPEC 7 randomness; a fixed seed gives identical resamples.
    delta, fixed, tied
        As in :func:`fit_multi_power`.
    fit : MultiPowerFit, optional
        The fit on the full data, if already computed (same curves and settings).
    """
    cs = as_curves(curves)
    reps = as_int(n_resamples, "n_resamples", minimum=1)
    blen = as_int(block_length, "block_length", minimum=1)
    level = as_positive_scalar(confidence_level, "confidence_level")
    if level >= 1:
        raise ValueError(f"`confidence_level` must lie in (0, 1); got {level!r}.")
    gen = as_rng(rng)
    if fit is None:
        fit = fit_multi_power(cs, delta=delta, fixed=fixed, tied=tied)
    elif not isinstance(fit, MultiPowerFit):
        raise TypeError(f"`fit` must be a MultiPowerFit; got {type(fit).__name__}.")
    elif fit.curve_names != tuple(c.name for c in cs):
        raise ValueError(
            f"`fit` must be a fit of these curves; it was fitted on {list(fit.curve_names)}."
        )
    offsets = FAMILY.design(cs).point_offsets
    params = np.full((reps, N_PARAMS), np.nan)
    ok = np.zeros(reps, dtype=bool)
    for r in range(reps):
        w = block_resample_weights(offsets, blen, gen)
        res = _fit_quiet(cs, w, fit, delta=fit.delta)
        if res is not None:
            params[r] = res.law.param_vector
            ok[r] = res.success
    return MultiPowerBootstrap(
        fit=fit,
        params=params,
        converged=ok,
        block_length=blen,
        confidence_level=level,
    )


def _fit_quiet(
    curves: Sequence[LossCurve], w: FloatArray, centre: MultiPowerFit, *, delta: float
) -> MultiPowerFit | None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_multi_power(
            curves,
            delta=delta,
            starts=centre.theta[None, :],
            fixed=dict(centre.fixed),
            tied=centre.tied,
            weights=w,
        )
