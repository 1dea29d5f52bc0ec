r"""Fitting the multi-power law on several loss curves at once.

The fit minimises the summed Huber loss (threshold ``delta``, 1e-3 by default) of log
residuals over every logged point of every curve,

.. math::

    \sum_{c} \sum_{i} w_{ci}\,\mathrm{Huber}_\delta\bigl(\log \hat L_c(t_i) - \log L_{ci}\bigr),

in the coordinates ``theta = (L0, log A, log alpha, log B, log C, log beta, log gamma)``
(Luo et al. 2025, §4), with the fitting engine: multi-start L-BFGS in rounds with
abandonment, convergence verified by the gradient at exit, fixed and tied parameters.

:class:`MultiPowerLawFamily` registers the law with the engine as ``"multi_power"``:
``fit_law("multi_power", {"curves": curves})`` (or a long table
``{"curve", "step", "loss", "schedules"}``) fits it on the serial kernel
:func:`_mpl_kernels.objective_grad`, one start per thread.
:func:`fit_multi_power` is that fit with the law's own defaults (four starts,
``max_iter=3000``, ``gtol=1e-6``), checks and result type (:class:`MultiPowerFit`);
:func:`bootstrap_multi_power` adds the block bootstrap within curves, its resamples
solved as one batch by the engine. The JAX objective
(:meth:`MultiPowerFamily.jax_objective`) is dense over (point, change point) and
matches the kernel; a whole ``backend="jax"`` fit on a CPU did not finish within 300 s
on the small synthetic test curves, so use the Numba backend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _lbfgs
from . import _mpl_kernels as MK
from ._backends import get_backend
from ._problem import Problem, make_constraints, prepare
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
from .bootstrap import solve_resamples
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
from .parametric import FitStatus, ParametricFit, fit_problem
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
MAX_ITER_DEFAULT = 3000
"""L-BFGS iterations per start of :func:`fit_multi_power` (and of each resample)."""
GTOL_DEFAULT = 1e-6
"""Relative gradient tolerance of :func:`fit_multi_power` (and of each resample)."""


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
MultiPowerLaw.family = MULTI_POWER_FAMILY
"""The engine's ``"multi_power"`` family (``fit_law("multi_power", data)``)."""


class MultiPowerStatus(Enum):
    """Overall outcome of a fit; the value is the message."""

    SUCCESS = "converged: the gradient at the best start is below tolerance"
    BEST_NOT_CONVERGED = (
        "the best start did not converge (gradient above tolerance at exit); the "
        "parameters may be inaccurate"
    )
    NO_START_CONVERGED = "no start converged; the result is the lowest objective seen"
    DEGENERATE = (
        "the best start ended with a parameter outside float64 (a term pushed to zero or "
        "infinity); the curves do not determine the law"
    )


# per-start exit codes: the engine's (:class:`chinchilla_laws.StartStatus`)
CONVERGED, MAX_ITER, LINE_SEARCH_FAILED, NON_FINITE, ABANDONED = (
    _lbfgs.CONVERGED,
    _lbfgs.MAX_ITER,
    _lbfgs.LINE_SEARCH_FAILED,
    _lbfgs.NON_FINITE,
    _lbfgs.ABANDONED,
)
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


def _constraints(fixed: Any, tied: Any) -> tuple[dict[str, float], tuple[tuple[str, ...], ...]]:
    """Validate ``fixed`` (the engine's checks) and ``tied`` (with the law's own rule).

    ``L0`` is a loss fitted as is, the other parameters in log space: ``L0`` cannot be
    tied to them, and the errors name the multi-power law.
    """
    fx = dict(make_constraints(MULTI_POWER_FAMILY, fixed, None).fixed)
    groups: list[tuple[str, ...]] = []
    if tied is not None:
        groups = tied_groups(tied, PARAM_NAMES, fx, "the multi-power law")
        for named in groups:
            if "L0" in named:
                raise ValueError(
                    "`tied` cannot tie `L0` (a loss, fitted as is) to a positive parameter "
                    "(fitted in log space)."
                )
    return fx, tuple(groups)


def fit_multi_power(
    curves: LossCurve | Iterable[LossCurve],
    *,
    delta: float = 1e-3,
    starts: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    weights: ArrayLike | None = None,
    max_iter: int = MAX_ITER_DEFAULT,
    gtol: float = GTOL_DEFAULT,
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
        Starts run in the engine's rounds (:func:`chinchilla_laws.fit_law`); a start
        more than this fraction above the best objective that has stopped improving
        is abandoned.

    Returns
    -------
    MultiPowerFit
        A best start that did not verifiably converge gives a non-SUCCESS status and
        a :class:`~chinchilla_laws.ConvergenceWarning`.

    Notes
    -----
    This is :func:`chinchilla_laws.fit_law` on the ``"multi_power"`` family (one
    engine for every law) with the defaults above. The objective and its gradient come
    from one Numba pass over the (point, change point) pairs: about 2.8 million for
    the three 24,000-step training curves of one model size of Luo et al. Convergence
    requires ``max|gradient| <= gtol * min(delta, 1) * sum(weights)`` in the free
    coordinates.

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
    fx, groups = _constraints(fixed, tied)
    n = sum(c.steps.size for c in cs)
    w = None if weights is None else _check_weights(weights, n)
    if starts is None:
        S0 = FAMILY.default_starts()
    else:
        S0 = as_float_array(starts, "starts", ndim=2)
        if S0.shape[1] != N_PARAMS or S0.shape[0] < 1:
            raise ValueError(
                f"`starts` must have shape (S, 7) in theta coordinates; got {S0.shape}."
            )
    n_free = N_PARAMS - len(fx) - sum(len(g) - 1 for g in groups)
    if n <= n_free:
        raise ValueError(
            f"`curves` must have more logged points than the {n_free} free parameters; got {n}."
        )
    problem = _problem(cs, d, w, fx, groups)
    fit = fit_problem(
        problem,
        S0,
        max_iter=iters,
        gtol=g_rel,
        abandon=None,
        backend="numba",
        warn=False,
        progress=None,
        weighted=w is not None,
        abandon_gap=gap,
    )
    result = _from_engine(fit, cs, fx, groups)
    if not result.success:
        warn(f"fit_multi_power: {result.status.value}.", ConvergenceWarning)
    return result


def _check_weights(weights: ArrayLike, n: int) -> FloatArray:
    w = as_float_array(weights, "weights", nonnegative=True)
    if w.shape != (n,):
        raise ValueError(f"`weights` must have one entry per logged point ({n}); got {w.size}.")
    if not np.any(w > 0):
        raise ValueError("`weights` must contain a positive entry; got only zeros.")
    return w


def _problem(
    curves: Sequence[LossCurve],
    delta: float,
    weights: FloatArray | None,
    fixed: Mapping[str, float],
    tied: Sequence[Sequence[str]],
) -> Problem:
    """The engine's problem of the ``"multi_power"`` family on ``curves``."""
    data: dict[str, Any] = {"curves": curves}
    return prepare(
        MULTI_POWER_FAMILY,
        data,
        delta=delta,
        reduction="sum",
        weights=weights,
        fixed=dict(fixed) or None,
        tied=list(tied) or None,
    )


_STATUS = {
    FitStatus.SUCCESS: MultiPowerStatus.SUCCESS,
    FitStatus.BEST_NOT_CONVERGED: MultiPowerStatus.BEST_NOT_CONVERGED,
    FitStatus.NO_START_CONVERGED: MultiPowerStatus.NO_START_CONVERGED,
    FitStatus.DEGENERATE: MultiPowerStatus.DEGENERATE,
}


def _law(theta: FloatArray, fixed: Mapping[str, float]) -> MultiPowerLaw:
    params = FAMILY.params_from_theta(theta)
    params.update(fixed)  # exactly the values given, not exp(log(value))
    return FAMILY.make_law(params)


def _from_engine(
    fit: ParametricFit,
    curves: Sequence[LossCurve],
    fixed: Mapping[str, float],
    tied: tuple[tuple[str, ...], ...],
) -> MultiPowerFit:
    """The engine's fit as a :class:`MultiPowerFit`."""
    # the family has no exponent check, no design notes and no degeneracy test, so the
    # engine's status is one of the four mapped
    status = _STATUS[fit.status]
    return MultiPowerFit(
        law=_law(fit.theta, fixed),
        theta=np.array(fit.theta),
        objective=fit.objective,
        grad=np.where([k in fixed for k in PARAM_NAMES], 0.0, fit.grad),
        grad_norm=fit.grad_norm,
        gtol=fit.gtol,
        status=status,
        best_start=fit.best_start,
        n_points=fit.n_points,
        n_curves=len(curves),
        n_starts=fit.n_starts,
        n_converged=fit.n_converged,
        n_abandoned=fit.n_abandoned,
        nit=fit.nit,
        nfev=fit.nfev,
        curve_names=tuple(cv.name for cv in curves),
        fixed=dict(fixed),
        tied=tied,
        delta=fit.delta,
        start_thetas=np.array(fit.start_thetas),
        end_thetas=np.array(fit.end_thetas),
        start_objectives=np.array(fit.start_objectives),
        start_grad_norms=np.array(fit.start_grad_norms),
        start_status=np.array(fit.start_status),
        start_nit=np.array(fit.start_nit),
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
    resulting counts as weights, starting from the original optimum. The resamples
    are solved as one batch by the engine (as :func:`bootstrap_parametric`); those
    that do not converge are counted in ``n_failed`` and reported by one
    :class:`~chinchilla_laws.ConvergenceWarning`.

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
    counts = np.stack([block_resample_weights(offsets, blen, gen) for _ in range(reps)])
    problem = _problem(cs, fit.delta, None, fit.fixed, fit.tied)
    thetas, _, status, _ = solve_resamples(
        problem,
        fit.theta,
        fit.theta[None, :],
        counts,
        max_iter=MAX_ITER_DEFAULT,
        gtol=GTOL_DEFAULT,
        backend=get_backend("numba"),
        chunk_size=None,
        progress=None,
        where="bootstrap_multi_power",
        min_converged=0,
    )
    params = np.array([_law(t, fit.fixed).param_vector for t in thetas])
    return MultiPowerBootstrap(
        fit=fit,
        params=params,
        converged=status == CONVERGED,
        block_length=blen,
        confidence_level=level,
    )
