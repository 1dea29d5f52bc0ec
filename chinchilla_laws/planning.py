r"""Planning with a fitted law: what to train, for a loss target, a serving demand or a sweep.

* :func:`optimal_for_loss`: the training-compute-minimal ``N``, ``D`` and ``C`` that reach
  a target loss (Chinchilla-optimal for that loss);
* :func:`inference_optimal`: the ``N``, ``D`` that reach a target loss at the least
  *total* cost, training plus serving ``D_inf`` inference tokens (Sardana et al. 2024);
* :func:`backtest` and :func:`rolling_backtest`: does a law fitted on the small runs
  predict the big ones?

Compute follows ``C = 6 N D`` (``flops_per_param_token``) and an inference token costs
``2 N`` FLOPs (``flops_per_inference_token``) unless told otherwise.
"""

from __future__ import annotations

import enum
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._typing import BoolArray, FloatArray, freeze_arrays
from ._validation import (
    _describe,
    as_choice,
    as_float_array,
    as_int,
    as_nonnegative_array,
    as_positive_array,
    as_positive_scalar,
    as_rng,
    same_length,
)
from .isoflop import VERTEX_ESTIMATORS, vertex_estimates
from .laws import FLOPS_PER_PARAM_TOKEN, ChinchillaLaw, Frontier
from .overtraining import OverTrainingLaw
from .result import BatchStatus, Record, Result
from .saturating import SaturatingPowerLaw
from .warnings import ConvergenceWarning, IdentifiabilityWarning

if TYPE_CHECKING:
    from .joint import JointBootstrap
    from .parametric import FitStatus, ParametricFit

__all__ = [
    "Backtest",
    "ComputeMultiplier",
    "EstimatorForecast",
    "InferenceOptimal",
    "IsoFLOPDesign",
    "IsoFLOPPlan",
    "MultiplierStatus",
    "RollingBacktest",
    "backtest",
    "compute_equivalent_speedup",
    "compute_multiplier",
    "design_isoflop",
    "design_isoflop_for_se",
    "inference_optimal",
    "optimal_for_loss",
    "rolling_backtest",
]

FLOPS_PER_INFERENCE_TOKEN = 2.0
"""FLOPs per parameter per generated or processed token at inference (a forward pass)."""

_NEWTON_MAX_ITER = 100
_NEWTON_STEP_TOL = 1e-13
"""Newton stops when every step in the logit coordinate is below this (absolute)."""


# ---------------------------------------------------------------------- validation
def _reducible(law: ChinchillaLaw, loss: FloatArray) -> FloatArray:
    """``loss - E``, refusing targets at or below the irreducible loss."""
    bad = ~(loss > law.E)
    if bad.any():
        idx = np.argwhere(bad)[0] if loss.ndim else np.zeros(0, dtype=np.int64)
        where = int(idx[0]) if loss.ndim == 1 else tuple(int(i) for i in idx)
        raise ValueError(
            f"`loss` must exceed the law's irreducible loss E = {law.E!r} (a target at or "
            f"below E is unreachable at any size); got {float(loss[tuple(idx)])!r} at index "
            f"{where}."
        )
    out: FloatArray = loss - law.E
    return out


def _overflow_check(values: FloatArray, what: str, name: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"`{name}` is out of range: the {what} overflows float64 for "
            f"{int(np.count_nonzero(~np.isfinite(values)))} entr(y/ies) (a target too "
            "close to the irreducible loss E)."
        )


# ---------------------------------------------------------------------- loss targets
def optimal_for_loss(
    law: Any,
    loss: ArrayLike,
    *,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    unique_tokens: float | None = None,
    n_params_range: tuple[float, float] = (1e4, 1e16),
    n_tokens_range: tuple[float, float] = (1e4, 1e19),
) -> Frontier:
    r"""The training-compute-minimal model that reaches a target loss.

    Parameters
    ----------
    law : law of (N, D)
        A :class:`ChinchillaLaw` or :class:`~chinchilla_laws.OverTrainingLaw` (closed
        form), a :class:`~chinchilla_laws.DataConstrainedLaw` (with ``unique_tokens``),
        or any law with a ``loss(n_params, n_tokens)`` method decreasing in ``D``
        (numerical search, see :func:`inference_optimal`).
    loss : float or array_like
        Target losses, each above ``law.E``.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    unique_tokens : float, optional
        The unique tokens available, for a data-constrained law.
    n_params_range, n_tokens_range : (float, float)
        The numerical search's ranges of ``N`` and ``D`` (not used by the closed form).

    Returns
    -------
    Frontier
        ``n_params``, ``n_tokens``, training ``compute = k N D`` and ``loss`` (the
        targets), one entry per target.

    Raises
    ------
    ValueError
        A target at or below ``E`` (unreachable), or one so close to ``E`` that the
        model size overflows.

    Notes
    -----
    Along the compute-optimal frontier the two reducible terms keep a fixed ratio,
    :math:`\alpha A N^{-\alpha} = \beta B D^{-\beta}`, so with :math:`R = L - E` the
    frontier point of loss :math:`L` is, in closed form,

    .. math::

        N = \left(\frac{(\alpha + \beta) A}{\beta R}\right)^{1/\alpha}, \qquad
        D = \left(\frac{(\alpha + \beta) B}{\alpha R}\right)^{1/\beta}.

    Minimising the loss at fixed compute and minimising the compute at fixed loss give
    the same curve, so ``law.optimal(result.compute)`` returns these models.

    Examples
    --------
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> f = HOFFMANN_2022_TEX.optimal_for_loss(2.0)
    >>> print(f"N = {f.n_params[0]:.4g}, D = {f.n_tokens[0]:.4g}, C = {f.compute[0]:.4g}")
    N = 1.621e+10, D = 8.031e+11, C = 7.812e+22
    """
    exact = _exact_law(law)
    loss_fn = None if exact is not None else _loss_function(law, unique_tokens)
    target = np.atleast_1d(as_positive_array(loss, "loss"))
    if target.ndim != 1:
        raise ValueError(f"`loss` must be a number or a 1-D array; got shape {target.shape}.")
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    if exact is not None:
        if unique_tokens is not None:
            raise TypeError(
                "`unique_tokens` is for the data-constrained law; this law has no data limit."
            )
        n, d = _chinchilla_for_loss(exact, _reducible(exact, target))
    else:
        assert loss_fn is not None
        bounds = (
            _log_bounds(n_params_range, "n_params_range"),
            _log_bounds(n_tokens_range, "n_tokens_range"),
        )
        n, d = _inference_numeric(loss_fn, target, np.zeros_like(target), k, 1.0, bounds)
    with np.errstate(over="ignore"):
        c = k * n * d
    _overflow_check(c, "training compute", "loss")
    return Frontier(compute=c, n_params=n, n_tokens=d, loss=target.copy())


def _chinchilla_for_loss(
    law: ChinchillaLaw, reducible: FloatArray
) -> tuple[FloatArray, FloatArray]:
    s = law.alpha + law.beta
    log_r = np.log(reducible)
    with np.errstate(over="ignore"):
        n = np.exp((math.log(s * law.A / law.beta) - log_r) / law.alpha)
        d = np.exp((math.log(s * law.B / law.alpha) - log_r) / law.beta)
    _overflow_check(n * d, "model size or token count", "loss")
    return n, d


# ---------------------------------------------------------------------- inference
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class InferenceOptimal(Record):
    r"""The least-total-cost model for a target loss and an inference demand.

    Every array has the broadcast shape of ``loss`` and ``inference_tokens`` (at
    least 1-D).

    Attributes
    ----------
    loss : ndarray
        Target losses.
    inference_tokens : ndarray
        Tokens served over the model's life, ``D_inf``.
    n_params, n_tokens : ndarray
        The inference-optimal model: parameters ``N`` and training tokens ``D``.
    compute : ndarray
        Its training FLOPs, ``k N D``.
    inference_flops : ndarray
        Its serving FLOPs, ``k_inf N D_inf``.
    total_flops : ndarray
        ``compute + inference_flops``.
    chinchilla_n_params, chinchilla_n_tokens, chinchilla_compute : ndarray
        The Chinchilla-optimal (training-compute-minimal) model for the same loss
        (:func:`optimal_for_loss`).
    chinchilla_total_flops : ndarray
        Its training plus serving FLOPs for the same demand.
    saving : ndarray
        ``chinchilla_total_flops - total_flops`` (FLOPs, never negative).
    saving_fraction : ndarray
        ``saving / chinchilla_total_flops``.
    flops_per_param_token, flops_per_inference_token : float
        ``k`` (training, ``C = k N D``) and ``k_inf`` (inference, per parameter and
        token).
    """

    loss: FloatArray
    inference_tokens: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    compute: FloatArray
    inference_flops: FloatArray
    total_flops: FloatArray
    chinchilla_n_params: FloatArray
    chinchilla_n_tokens: FloatArray
    chinchilla_compute: FloatArray
    chinchilla_total_flops: FloatArray
    saving: FloatArray
    saving_fraction: FloatArray
    flops_per_param_token: float
    flops_per_inference_token: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def tokens_per_param(self) -> FloatArray:
        """``D / N`` of the inference-optimal model."""
        out: FloatArray = self.n_tokens / self.n_params
        return out

    def __repr__(self) -> str:
        rows = ", ".join(
            f"(L={lo:.6g}, D_inf={di:.4g}: N={n:.4g}, D={d:.4g}, total={t:.4g}, saving={s:.2%})"
            for lo, di, n, d, t, s in zip(
                self.loss.ravel(),
                self.inference_tokens.ravel(),
                self.n_params.ravel(),
                self.n_tokens.ravel(),
                self.total_flops.ravel(),
                self.saving_fraction.ravel(),
                strict=True,
            )
        )
        return f"InferenceOptimal([{rows}])"


def _softplus(v: FloatArray) -> FloatArray:
    out: FloatArray = np.logaddexp(0.0, v)
    return out


def _sigmoid(v: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * v))
    return out


def _inference_logit(
    law: ChinchillaLaw, log_r: FloatArray, log_demand: FloatArray, k: float
) -> FloatArray:
    r"""Solve the stationarity condition for the logit ``v`` (see :func:`inference_optimal`).

    ``log_demand = log(k_inf D_inf)``, finite (``D_inf > 0``). Returns ``v`` with
    ``w = w0 sigmoid(v)`` the share of the reducible loss carried by the ``D`` term.
    """
    al, be = law.alpha, law.beta
    kappa = 1.0 + 1.0 / be
    w0 = al / (al + be)
    offset = math.log(k) + math.log(law.B) / be - math.log(be) - kappa * math.log(w0) + math.log(al)
    big_k = offset - log_r / be - log_demand
    # h(v) = K + kappa softplus(-v) - softplus(v): decreasing with slope in (-kappa, -1)
    # and convex, so Newton converges from anywhere; start at the asymptotes' root
    v = np.where(big_k > 0, big_k, big_k / kappa)
    for _ in range(_NEWTON_MAX_ITER):
        h = big_k + kappa * _softplus(-v) - _softplus(v)
        dh = -kappa * _sigmoid(-v) - _sigmoid(v)
        step = h / dh
        v = v - step
        if np.all(np.abs(step) <= _NEWTON_STEP_TOL * (1.0 + np.abs(v))):
            break
    return v


def _inference_exact(
    lw: ChinchillaLaw, target: FloatArray, demand: FloatArray, k: float, k_inf: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The closed-form-plus-Newton solution for a Chinchilla law (see the Notes)."""
    shape = target.shape
    reducible = _reducible(lw, target)
    log_r = np.log(reducible)
    n_c, d_c = _chinchilla_for_loss(lw, reducible)
    al, be = lw.alpha, lw.beta
    w0 = al / (al + be)
    serving = demand > 0
    # log w and log(1 - w); at D_inf = 0 the optimum is Chinchilla's, w = w0
    log_w = np.full(shape, math.log(w0))
    log_1mw = np.full(shape, math.log(1.0 - w0))
    if serving.any():
        v = _inference_logit(lw, log_r[serving], np.log(k_inf * demand[serving]), k)
        log_w[serving] = math.log(w0) - _softplus(-v)
        # 1 - w = (1 - w0) + w0 sigmoid(-v): no cancellation
        log_1mw[serving] = np.log((1.0 - w0) + w0 * _sigmoid(-v))
    with np.errstate(over="ignore"):
        # without inference demand the optimum is Chinchilla's model, to the last bit
        n = np.where(serving, np.exp((math.log(lw.A) - log_r - log_1mw) / al), n_c)
        d = np.where(serving, np.exp((math.log(lw.B) - log_r - log_w) / be), d_c)
    return n, d, n_c, d_c


def inference_optimal(
    law: Any,
    loss: ArrayLike,
    inference_tokens: ArrayLike,
    *,
    flops_per_inference_token: float = FLOPS_PER_INFERENCE_TOKEN,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    unique_tokens: ArrayLike | None = None,
    n_params_range: tuple[float, float] = (1e4, 1e16),
    n_tokens_range: tuple[float, float] = (1e4, 1e19),
) -> InferenceOptimal:
    r"""The model reaching ``loss`` at the least training plus inference cost.

    Minimises ``N (k D + k_inf D_inf)`` subject to ``L(N, D) = loss`` (Sardana et al.
    2024), for every pair of target loss and inference demand.

    Parameters
    ----------
    law : law of (N, D)
        A :class:`ChinchillaLaw` ``E + A/N**alpha + B/D**beta`` (exact solve, see the
        Notes). For Gadre et al.'s :class:`~chinchilla_laws.OverTrainingLaw` (one
        with ``alpha = beta = eta``, also exact) the result's ``tokens_per_param`` is
        the ratio ``M`` that serving makes optimal, in place of its compute-optimal
        ``M*``. A :class:`~chinchilla_laws.DataConstrainedLaw` (with
        ``unique_tokens``) or any other law with a ``loss(n_params, n_tokens)``
        method decreasing in ``D`` is solved numerically: for each ``N`` the tokens
        come from bisection on the loss contour, and the total cost is scanned on a
        grid of ``ln N`` over ``n_params_range`` and refined by golden-section search
        (relative accuracy about 1e-7 in ``N``; one minimum along the contour assumed).
        The ``chinchilla_*`` fields are then that law's training-compute-minimal model.
    loss : float or array_like
        Target losses, each above ``law.E``.
    inference_tokens : float or array_like
        Tokens the model will serve over its life, ``D_inf >= 0``; broadcast against
        ``loss`` (pass ``losses[:, None]`` and ``demands[None, :]`` for a table).
    flops_per_inference_token : float, default 2.0
        ``k_inf``: FLOPs per parameter per inference token (a forward pass).
    flops_per_param_token : float, default 6.0
        ``k`` in the training cost ``C = k N D``.
    unique_tokens : float, optional
        The unique tokens available (``U``), for a data-constrained law only.
    n_params_range, n_tokens_range : (float, float), default (1e4, 1e16), (1e4, 1e19)
        Where the numerical search looks (not used by the exact solver); an optimum
        at the edge of ``n_params_range`` raises.

    Returns
    -------
    InferenceOptimal
        The optimal ``N``, ``D``, training ``compute``, ``total_flops``, and the saving
        against the Chinchilla-optimal model of the same loss.

    Raises
    ------
    ValueError
        A target loss at or below ``E`` (unreachable; for the numerical search, not
        reached within the ranges); a negative inference demand.
    TypeError
        A law without a ``loss`` method; a data-constrained law without
        ``unique_tokens`` (or ``unique_tokens`` for another law).

    Notes
    -----
    With :math:`R = L - E`, write :math:`w = B D^{-\beta} / R` for the share of the
    reducible loss carried by the data term; the loss constraint then fixes
    :math:`N = (A / (R (1 - w)))^{1/\alpha}` and :math:`D = (B / (R w))^{1/\beta}`,
    and the total cost is a function of :math:`w` alone. Its stationarity condition is

    .. math::

        k D(w) \, (\alpha - (\alpha + \beta) w) = \beta \, w \, k_{inf} D_{inf},

    whose root lies in :math:`(0, w_0]`, :math:`w_0 = \alpha / (\alpha + \beta)` (the
    Chinchilla optimum, reached at :math:`D_{inf} = 0`). In the logit coordinate
    :math:`w = w_0 \, \sigma(v)` the condition reads

    .. math::

        h(v) = K + \kappa \operatorname{softplus}(-v) - \operatorname{softplus}(v) = 0,
        \qquad \kappa = 1 + 1/\beta,

    with :math:`K` collecting the constants. :math:`h` is convex and decreasing with
    slope between :math:`-\kappa` and :math:`-1`, so the root is unique and Newton's
    method converges to it from any start, quadratically; it runs on all pairs at once.
    The result is exact to floating-point precision (tested against a brute-force grid).

    References
    ----------
    Sardana, N., Portes, J., Doubov, S. and Frankle, J. (2024), "Beyond
    Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws",
    arXiv:2401.00448.

    Examples
    --------
    The loss of the Chinchilla-optimal 13B model, served for 2 trillion tokens
    (Sardana et al.'s Figure 1):

    >>> from chinchilla_laws import ChinchillaLaw
    >>> law = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)
    >>> target = law.optimal_for_params(13e9).loss
    >>> r = law.inference_optimal(target, 2e12)
    >>> print(f"N = {r.n_params[0]:.3g}, D = {r.n_tokens[0]:.3g}, "
    ...       f"saving = {r.saving[0]:.3g} FLOPs ({r.saving_fraction[0]:.1%})")
    N = 6.97e+09, D = 1.25e+12, saving = 1.69e+22 FLOPs (17.4%)
    """
    exact = _exact_law(law)
    loss_fn = None if exact is not None else _loss_function(law, unique_tokens)
    target = as_positive_array(loss, "loss")
    demand = as_nonnegative_array(inference_tokens, "inference_tokens")
    try:
        shape = np.broadcast_shapes(target.shape, demand.shape)
    except ValueError:
        raise ValueError(
            f"`loss` and `inference_tokens` must broadcast together; got shapes "
            f"{target.shape} and {demand.shape}."
        ) from None
    k_inf = as_positive_scalar(flops_per_inference_token, "flops_per_inference_token")
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    shape = shape if shape else (1,)
    if exact is not None:
        if unique_tokens is not None:
            raise TypeError(
                "`unique_tokens` is for the data-constrained law; this law has no data limit."
            )
        _reducible(exact, target)  # refuse unreachable targets, indexed as the caller gave them
        target = np.ascontiguousarray(np.broadcast_to(target, shape), dtype=np.float64)
        demand = np.ascontiguousarray(np.broadcast_to(demand, shape), dtype=np.float64)
        n, d, n_c, d_c = _inference_exact(exact, target, demand, k, k_inf)
    else:
        assert loss_fn is not None
        target = np.ascontiguousarray(np.broadcast_to(target, shape), dtype=np.float64)
        demand = np.ascontiguousarray(np.broadcast_to(demand, shape), dtype=np.float64)
        bounds = (
            _log_bounds(n_params_range, "n_params_range"),
            _log_bounds(n_tokens_range, "n_tokens_range"),
        )
        flat_t, flat_d = target.ravel(), demand.ravel()
        n_c, d_c = _inference_numeric(loss_fn, flat_t, np.zeros_like(flat_d), k, k_inf, bounds)
        n, d = _inference_numeric(loss_fn, flat_t, flat_d, k, k_inf, bounds)
        n, d, n_c, d_c = (v.reshape(shape) for v in (n, d, n_c, d_c))
        # the optimum is never worse than the training-minimal model: where the numeric
        # search lands a hair above it (no demand), keep the training-minimal model
        worse = k * n * d + k_inf * n * demand > k * n_c * d_c + k_inf * n_c * demand
        n, d = np.where(worse, n_c, n), np.where(worse, d_c, d)
    with np.errstate(over="ignore"):
        train = k * n * d
        serve = k_inf * n * demand
        total = train + serve
        c_train = k * n_c * d_c
        c_total = c_train + k_inf * n_c * demand
    _overflow_check(total, "total cost", "loss")
    _overflow_check(c_total, "Chinchilla-optimal total cost", "loss")
    # the optimum is never worse than the Chinchilla model; clip rounding noise at 0
    saving = np.maximum(c_total - total, 0.0)
    return InferenceOptimal(
        loss=target,
        inference_tokens=demand,
        n_params=n,
        n_tokens=d,
        compute=train,
        inference_flops=serve,
        total_flops=total,
        chinchilla_n_params=n_c,
        chinchilla_n_tokens=d_c,
        chinchilla_compute=c_train,
        chinchilla_total_flops=c_total,
        saving=saving,
        saving_fraction=saving / c_total,
        flops_per_param_token=k,
        flops_per_inference_token=k_inf,
    )


# ---------------------------------------------------------------------- numeric path (any law)
_COARSE_POINTS = 48
_GOLDEN_STEPS = 48
_BISECT_STEPS = 52
_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


def _exact_law(law: Any) -> ChinchillaLaw | None:
    """The law as a :class:`ChinchillaLaw` when the exact solver applies, else None."""
    if isinstance(law, ChinchillaLaw):
        return law
    if isinstance(law, OverTrainingLaw):
        return law.chinchilla
    return None


LossFunction = Callable[[FloatArray, FloatArray], FloatArray]


def _loss_function(law: Any, unique_tokens: Any) -> LossFunction:
    """``(N, D) -> L`` for the numeric path; a data-constrained law needs ``unique_tokens``."""
    from .data_constrained import DataConstrainedLaw

    if isinstance(law, DataConstrainedLaw):
        if unique_tokens is None:
            raise TypeError(
                "`unique_tokens` is required for a DataConstrainedLaw: the unique tokens "
                "available for training (U)."
            )
        u = as_positive_scalar(unique_tokens, "unique_tokens")
        dc = law

        def dc_loss(n: FloatArray, d: FloatArray) -> FloatArray:
            return np.asarray(dc.loss(n, d, u), dtype=np.float64)

        return dc_loss
    if unique_tokens is not None:
        raise TypeError(
            "`unique_tokens` is for the data-constrained law; this law has no data limit."
        )
    fn = getattr(law, "loss", None)
    if not callable(fn) or isinstance(law, type):
        raise TypeError(
            "`law` must be a law of (N, D) with a `loss(n_params, n_tokens)` method (a "
            f"ChinchillaLaw, an OverTrainingLaw, a DataConstrainedLaw, ...); got "
            f"{_describe(law)}."
        )

    def law_loss(n: FloatArray, d: FloatArray) -> FloatArray:
        return np.asarray(fn(n, d), dtype=np.float64)

    return law_loss


def _log_bounds(value: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a pair (low, high); got {_describe(value)}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"`{name}` must satisfy 0 < low < high; got ({lo!r}, {hi!r}).")
    return math.log(lo), math.log(hi)


def _inference_numeric(
    loss_fn: LossFunction,
    target: FloatArray,
    demand: FloatArray,
    k: float,
    k_inf: float,
    bounds: tuple[tuple[float, float], tuple[float, float]],
) -> tuple[FloatArray, FloatArray]:
    """Least ``N (k D + k_inf D_inf)`` on ``L(N, D) = target`` for any law decreasing in ``D``.

    For each ``ln N`` the tokens come from bisection on ``ln D``; the total cost is
    scanned on a grid of ``ln N`` and refined by golden-section search around the best
    grid point (one minimum along the loss contour is assumed, as for every law here).
    """
    (xlo, xhi), (ylo, yhi) = bounds
    with np.errstate(divide="ignore"):
        log_serve = np.log(k_inf * demand)
    log_k = math.log(k)

    def solve_y(x: FloatArray) -> FloatArray:
        n = np.exp(x)
        lo = np.full(x.shape, ylo)
        hi = np.full(x.shape, yhi)
        with np.errstate(all="ignore"):
            feasible = (loss_fn(n, np.exp(hi)) <= target) & (loss_fn(n, np.exp(lo)) >= target)
            for _ in range(_BISECT_STEPS):
                mid = 0.5 * (lo + hi)
                above = loss_fn(n, np.exp(mid)) > target
                lo = np.where(above, mid, lo)
                hi = np.where(above, hi, mid)
        out: FloatArray = np.where(feasible, 0.5 * (lo + hi), np.nan)
        return out

    def cost(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        y = solve_y(x)
        with np.errstate(invalid="ignore"):
            c = np.where(np.isfinite(y), x + np.logaddexp(log_k + y, log_serve), np.inf)
        return c, y

    grid = np.linspace(xlo, xhi, _COARSE_POINTS)
    costs, _ = cost(np.broadcast_to(grid[:, None], (grid.size, target.size)).copy())
    best = np.argmin(costs, axis=0)
    reachable = np.isfinite(costs).any(axis=0)
    if not reachable.all():
        j = int(np.flatnonzero(~reachable)[0])
        raise ValueError(
            f"`loss` must be reachable by some model within `n_params_range` and "
            f"`n_tokens_range`; got {float(target[j])!r} at index {j}, which no (N, D) "
            "there reaches (at or below what the law can reach at all, or out of range)."
        )
    edge = (best == 0) | (best == grid.size - 1)
    if edge.any():
        j = int(np.flatnonzero(edge)[0])
        raise ValueError(
            "the least-cost model lies at the edge of `n_params_range` for `loss` "
            f"{float(target[j])!r} (index {j}); widen `n_params_range`."
        )
    a = grid[best - 1]
    b = grid[best + 1]
    x1 = b - _INV_PHI * (b - a)
    x2 = a + _INV_PHI * (b - a)
    f1, _ = cost(x1)
    f2, _ = cost(x2)
    for _ in range(_GOLDEN_STEPS):
        left = f1 <= f2
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        x2_new = np.where(left, x1, a + _INV_PHI * (b - a))
        x1_new = np.where(left, b - _INV_PHI * (b - a), x2)
        f_new, _ = cost(np.where(left, x1_new, x2_new))
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
        x1, x2 = x1_new, x2_new
    x = 0.5 * (a + b)
    _, y = cost(x)
    return np.exp(x), np.exp(y)


# ---------------------------------------------------------------------- backtests
@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class Backtest(Result):
    r"""A law fitted on the small runs, checked on the big ones (:func:`backtest`).

    Attributes
    ----------
    fit : ParametricFit
        The fit on the training runs.
    train : ndarray of bool
        Per run: in the training part.
    compute : ndarray
        Per run: ``C = k N D``.
    n_params, n_tokens : ndarray
        Per run: ``N`` and ``D``.
    observed, predicted : ndarray
        Per run: the observed loss and the fitted law's prediction.
    relative_error : ndarray
        Per run: ``predicted / observed - 1``.
    split_compute : float
        The compute threshold (runs with ``C <= split_compute`` train); NaN when the
        split was given as a mask or a rank.
    mean_abs_relative_error : float
        Mean of ``|relative_error|`` over the test runs.
    bias : float
        Mean of ``relative_error`` over the test runs (positive: the law predicts too
        high a loss for the big runs).
    max_abs_relative_error : float
        Largest ``|relative_error|`` over the test runs.
    train_mean_abs_relative_error : float
        Mean of ``|relative_error|`` over the training runs (the in-sample fit).
    a : float
        The training fit's exponent of ``N_opt ∝ C^a``, ``beta / (alpha + beta)``.
    """

    fit: ParametricFit
    train: BoolArray
    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    observed: FloatArray
    predicted: FloatArray
    relative_error: FloatArray
    split_compute: float
    mean_abs_relative_error: float
    bias: float
    max_abs_relative_error: float
    train_mean_abs_relative_error: float
    a: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def test(self) -> BoolArray:
        """Per run: in the test part (``~train``)."""
        out: BoolArray = ~self.train
        return out

    @property
    def n_train(self) -> int:
        return int(np.count_nonzero(self.train))

    @property
    def n_test(self) -> int:
        return int(np.count_nonzero(~self.train))

    @property
    def status(self) -> FitStatus:
        """The training fit's status."""
        return self.fit.status

    @property
    def message(self) -> str:
        return self.fit.message


@dataclass(frozen=True, slots=True)
class _BacktestData:
    """Validated runs for a backtest: the family's data columns, compute, and the fit set-up."""

    columns: dict[str, FloatArray]
    compute: FloatArray
    family: Any
    min_train: int
    fit_options: dict[str, Any]


def _free_parameters(family: Any, fixed: Any, tied: Any) -> int:
    """The family's parameters less the fixed ones and one per tied group member beyond the
    first (the engine validates the names)."""
    n_fixed = len(fixed) if isinstance(fixed, Mapping) else 0
    n_tied = 0
    if tied is not None and not isinstance(tied, (str, bytes)):
        for group in tied:
            if not isinstance(group, (str, bytes)):
                n_tied += max(len(tuple(group)) - 1, 0)
    return max(int(family.n_params) - n_fixed - n_tied, 1)


def _backtest_data(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    unique_tokens: ArrayLike | None,
    k: Any,
    family: Any,
    fixed: Any,
    tied: Any,
    fit_options: dict[str, Any],
) -> _BacktestData:
    from .family import get_family

    fam = get_family(family)
    n = as_float_array(n_params, "n_params", positive=True)
    d = as_float_array(n_tokens, "n_tokens", positive=True)
    lo = as_float_array(loss, "loss", positive=True)
    same_length(n_params=n, n_tokens=d, loss=lo)
    cols = {"n_params": n, "n_tokens": d, "loss": lo}
    if unique_tokens is not None:
        u = as_float_array(unique_tokens, "unique_tokens", positive=True)
        same_length(n_params=n, unique_tokens=u)
        cols["unique_tokens"] = u
    names = tuple(fam.data_names)
    missing = [x for x in names if x not in cols]
    if "unique_tokens" in missing:
        raise TypeError(
            f"`unique_tokens` is required by the {fam.name!r} family: the unique tokens of "
            "each run."
        )
    if missing or "n_params" not in names or "n_tokens" not in names:
        raise ValueError(
            f"`family` must be a law of runs (n_params, n_tokens[, unique_tokens], loss); "
            f"the {fam.name!r} family takes {list(names)}."
        )
    if "unique_tokens" in cols and "unique_tokens" not in names:
        raise TypeError(
            f"`unique_tokens` is not used by the {fam.name!r} family; leave it out or pass "
            "a family with a data limit."
        )
    kk = as_positive_scalar(k, "flops_per_param_token")
    options = dict(fit_options)
    if fixed is not None:
        options["fixed"] = fixed
    if tied is not None:
        options["tied"] = tied
    return _BacktestData(
        columns={x: cols[x] for x in names},
        compute=kk * n * d,
        family=fam,
        min_train=_free_parameters(fam, fixed, tied) + 1,
        fit_options=options,
    )


def _split_mask(compute: FloatArray, split_compute: Any, split: Any) -> tuple[BoolArray, float]:
    """The training mask from exactly one of ``split_compute`` and ``split``."""
    if (split_compute is None) == (split is None):
        got = "both" if split is not None else "neither"
        raise ValueError(f"exactly one of `split_compute` and `split` must be given; got {got}.")
    size = compute.size
    if split_compute is not None:
        threshold = as_positive_scalar(split_compute, "split_compute")
        return compute <= threshold, threshold
    if isinstance(split, numbers.Integral) and not isinstance(split, bool):
        rank = as_int(split, "split", minimum=1)
        if rank >= size:
            raise ValueError(
                f"`split` must leave at least one test run: a rank below the {size} runs; "
                f"got {rank}."
            )
        order = np.argsort(compute, kind="stable")
        mask = np.zeros(size, dtype=np.bool_)
        mask[order[:rank]] = True
        return mask, math.nan
    arr = np.asarray(split)
    if arr.dtype != np.bool_ or arr.ndim == 0:
        raise TypeError(
            "`split` must be a boolean mask (True for training runs) or an integer rank "
            f"(the number of smallest-compute runs to train on); got {_describe(split)}."
        )
    if arr.shape != (size,):
        raise ValueError(
            f"`split` must be a boolean mask with one entry per run ({size}); got shape "
            f"{arr.shape}."
        )
    return np.array(arr, dtype=np.bool_), math.nan


def _backtest_core(data: _BacktestData, train: BoolArray, threshold: float, what: str) -> Backtest:
    from .parametric import fit_law

    n_train = int(np.count_nonzero(train))
    if n_train < data.min_train:
        raise ValueError(
            f"{what} must leave at least {data.min_train} training runs (more than the "
            f"{data.min_train - 1} free parameters of the {data.family.name!r} fit); got "
            f"{n_train}."
        )
    if n_train == train.size:
        raise ValueError(f"{what} must leave at least one test run; got none.")
    cols = data.columns
    fit = fit_law(data.family, {x: v[train] for x, v in cols.items()}, **data.fit_options)
    predicted = np.asarray(
        fit.law.loss(*(v for x, v in cols.items() if x != "loss")), dtype=np.float64
    )
    lo = cols["loss"]
    rel = predicted / lo - 1.0
    test = ~train
    abs_test = np.abs(rel[test])
    return Backtest(
        fit=fit,
        train=train,
        compute=data.compute.copy(),
        n_params=cols["n_params"].copy(),
        n_tokens=cols["n_tokens"].copy(),
        observed=lo.copy(),
        predicted=predicted,
        relative_error=rel,
        split_compute=threshold,
        mean_abs_relative_error=float(abs_test.mean()),
        bias=float(rel[test].mean()),
        max_abs_relative_error=float(abs_test.max()),
        train_mean_abs_relative_error=float(np.abs(rel[train]).mean()),
        a=float(getattr(fit.law, "a", math.nan)),
    )


def backtest(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    split_compute: float | None = None,
    split: ArrayLike | int | None = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    family: Any = "chinchilla",
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    unique_tokens: ArrayLike | None = None,
    **fit_options: Any,
) -> Backtest:
    r"""Fit the law on the small runs and predict the big ones.

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        Parameters ``N``, training tokens ``D`` and final loss of each run.
    split_compute : float, optional
        Train on the runs with ``C = k N D <= split_compute``; test on the rest.
    split : array_like of bool or int, optional
        Instead of ``split_compute``: a mask (True for training runs), or a rank
        ``r`` (train on the ``r`` runs of least compute). Give exactly one of the two.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    family : str or LawFamily, default "chinchilla"
        The law family to fit (any registered family of runs ``(n_params, n_tokens[,
        unique_tokens], loss)``: ``"chinchilla"``, ``"kaplan"``, ...).
    fixed : mapping, optional
        Parameters held at given values in the training fit, e.g. ``{"E": 1.8}``.
    tied : sequence of sequences of str, optional
        Groups of parameters sharing one value, e.g. ``[("alpha", "beta")]``.
    unique_tokens : array_like, optional
        Unique tokens of each run, for a family with a data limit.
    **fit_options
        Passed to :func:`~chinchilla_laws.fit_law` (``starts``, ``delta``,
        ``backend``, ...).

    Returns
    -------
    Backtest
        The training fit, per-run predictions and relative errors, and the test part's
        mean absolute relative error, bias and largest error, with the training
        exponent ``a`` (NaN for a law without a closed-form exponent ``a``).

    Raises
    ------
    ValueError
        A split leaving no more training runs than the fit's free parameters (6 for the
        Chinchilla law's 5) or no test run; both or neither of ``split_compute`` and
        ``split``.
    TypeError
        ``unique_tokens`` missing for a family that needs it (or given to one that
        does not).

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> from chinchilla_laws.planning import backtest
    >>> rng = np.random.default_rng(0)
    >>> n = np.exp(rng.uniform(np.log(1e8), np.log(1e10), 80))
    >>> d = np.exp(rng.uniform(np.log(2e9), np.log(2e11), 80))
    >>> loss = HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.005 * rng.standard_normal(80))
    >>> bt = backtest(n, d, loss, split_compute=1e20)
    >>> print(bt.n_train, bt.n_test, f"{bt.mean_abs_relative_error:.4f}")
    40 40 0.0059
    """
    data = _backtest_data(
        n_params,
        n_tokens,
        loss,
        unique_tokens,
        flops_per_param_token,
        family,
        fixed,
        tied,
        fit_options,
    )
    train, threshold = _split_mask(data.compute, split_compute, split)
    what = "`split_compute`" if split_compute is not None else "`split`"
    return _backtest_core(data, train, threshold, what)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class RollingBacktest(Result):
    """Backtests over increasing compute splits (:func:`rolling_backtest`).

    Attributes
    ----------
    split_compute : ndarray
        The thresholds, increasing.
    n_train, n_test : ndarray of int
        Training and test runs at each split.
    a : ndarray
        The training fit's exponent ``a`` at each split.
    mean_abs_relative_error, bias, max_abs_relative_error : ndarray
        The test errors at each split (see :class:`Backtest`).
    split_success : ndarray of bool
        Whether each training fit converged (``success``: all of them did).
    backtests : tuple of Backtest
        The full result at each split.
    """

    split_compute: FloatArray
    n_train: Any
    n_test: Any
    a: FloatArray
    mean_abs_relative_error: FloatArray
    bias: FloatArray
    max_abs_relative_error: FloatArray
    split_success: BoolArray
    backtests: tuple[Backtest, ...] = field(repr=False)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def status(self) -> BatchStatus:
        """:class:`BatchStatus` of the training fits (per split: ``split_success``)."""
        return BatchStatus.of(len(self.backtests), int(np.count_nonzero(~self.split_success)))

    @property
    def message(self) -> str:
        n_ok = int(np.count_nonzero(self.split_success))
        return f"{n_ok} of {len(self.backtests)} training fits converged"

    def __len__(self) -> int:
        return len(self.backtests)


def _default_splits(compute: FloatArray, count: int, min_train: int, min_test: int) -> FloatArray:
    """``count`` thresholds, log-spaced over the admissible range, snapped to runs' compute."""
    cs = np.sort(compute)
    if cs.size < min_train + min_test:
        raise ValueError(
            f"the data must hold at least {min_train + min_test} runs for a rolling backtest "
            f"({min_train} to train, {min_test} to test); got {cs.size}."
        )
    # admissible thresholds: a run's compute leaving >= min_train at or below it and
    # >= min_test above it
    counts_le = np.searchsorted(cs, cs, side="right")
    ok = (counts_le >= min_train) & (cs.size - counts_le >= min_test)
    cand = np.unique(cs[ok])
    if cand.size == 0:
        raise ValueError(
            "no compute threshold leaves enough training and test runs (runs tie in "
            "compute); pass `splits` explicitly."
        )
    targets = np.geomspace(cand[0], cand[-1], count)
    idx = np.unique(np.abs(np.log(cand)[None, :] - np.log(targets)[:, None]).argmin(axis=1))
    out: FloatArray = cand[idx]
    return out


def rolling_backtest(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    splits: ArrayLike | int = 10,
    min_train: int = 20,
    min_test: int = 5,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    family: Any = "chinchilla",
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    unique_tokens: ArrayLike | None = None,
    **fit_options: Any,
) -> RollingBacktest:
    r"""Backtests at increasing compute splits: how the exponent and the error move.

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        Parameters ``N``, training tokens ``D`` and final loss of each run.
    splits : int or array_like, default 10
        Compute thresholds (FLOPs, ``C = k N D``), or how many to place: log-spaced
        between the smallest threshold leaving ``min_train`` training runs and the
        largest leaving ``min_test`` test runs, each snapped to a run's compute
        (duplicates merged, so there may be fewer).
    min_train, min_test : int, default 20 and 5
        Fewest training and test runs for the automatic thresholds.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    family, fixed, tied, unique_tokens, **fit_options
        As in :func:`backtest`.

    Returns
    -------
    RollingBacktest
        Per split: the training exponent ``a``, the test errors, and each
        :class:`Backtest`. :func:`chinchilla_laws.plot.plot_backtest` draws them.

    Raises
    ------
    ValueError
        A threshold leaving no more training runs than the fit's free parameters, or no
        test run.
    """
    data = _backtest_data(
        n_params,
        n_tokens,
        loss,
        unique_tokens,
        flops_per_param_token,
        family,
        fixed,
        tied,
        fit_options,
    )
    c = data.compute
    if isinstance(splits, numbers.Integral) and not isinstance(splits, bool):
        count = as_int(splits, "splits", minimum=1)
        mt = as_int(min_train, "min_train", minimum=data.min_train)
        ms = as_int(min_test, "min_test", minimum=1)
        thresholds = _default_splits(c, count, mt, ms)
    else:
        thresholds = np.unique(as_float_array(splits, "splits", positive=True, min_size=1))
    results = [
        _backtest_core(data, c <= threshold, float(threshold), f"`splits`[{i}]")
        for i, threshold in enumerate(thresholds)
    ]
    return RollingBacktest(
        split_compute=np.array(thresholds, dtype=np.float64),
        n_train=np.array([r.n_train for r in results], dtype=np.int64),
        n_test=np.array([r.n_test for r in results], dtype=np.int64),
        a=np.array([r.a for r in results]),
        mean_abs_relative_error=np.array([r.mean_abs_relative_error for r in results]),
        bias=np.array([r.bias for r in results]),
        max_abs_relative_error=np.array([r.max_abs_relative_error for r in results]),
        split_success=np.array([r.success for r in results], dtype=np.bool_),
        backtests=tuple(results),
    )


# ---------------------------------------------------------------------- sweep designer
ESTIMATORS = VERTEX_ESTIMATORS
"""Vertex estimators the designer can simulate: those of :func:`~chinchilla_laws.isoflop_minima`."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class EstimatorForecast(Record):
    """What one vertex estimator is expected to give on a design (see :func:`design_isoflop`).

    Attributes
    ----------
    estimator : str
        The vertex estimator (``"parabola"``: the paper's parabola in ``ln N``).
    vertex_ratio : ndarray
        Per budget: the vertex ``N*`` on the prior law's exact losses over the law's
        ``N_opt`` (1 means unbiased; NaN when the budget is flagged).
    vertex_bias_sim : ndarray
        Per budget: mean of ``ln N* - ln N_opt`` over the simulated sweeps (budgets
        flagged in a sweep left out).
    vertex_se_sim : ndarray
        Per budget: standard deviation of ``ln N*`` over the simulated sweeps.
    a_bias : float
        ``a`` fitted through the exact-loss vertices minus the law's ``a``.
    a_se : float
        Standard deviation of the fitted ``a`` over the simulated sweeps: the expected
        standard error of ``a`` under the stated noise.
    a_mean_bias : float
        Mean fitted ``a`` over the simulated sweeps minus the law's ``a``.
    a_sims : ndarray
        The fitted ``a`` of every simulated sweep (NaN for a sweep with fewer than two
        usable budgets).
    flagged_fraction : float
        Share of budget-sweeps whose vertex was flagged (no valley, or outside the
        sampled sizes) and left out of the power law, as :func:`isoflop_minima` does.
    n_failed : int
        Simulated sweeps with fewer than two usable budgets.
    """

    estimator: str
    vertex_ratio: FloatArray
    vertex_bias_sim: FloatArray
    vertex_se_sim: FloatArray
    a_bias: float
    a_se: float
    a_mean_bias: float
    a_sims: FloatArray = field(repr=False)
    flagged_fraction: float
    n_failed: int

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class IsoFLOPDesign(Record):
    r"""An IsoFLOP sweep to train, with what to expect from it (:func:`design_isoflop`).

    Attributes
    ----------
    prior_law : ChinchillaLaw
        The law the design is centred on and simulated from.
    compute : ndarray, shape (n_budgets,)
        The budgets ``C`` (FLOPs, ``C = k N D``), increasing.
    n_params, n_tokens : ndarray, shape (n_budgets, n_sizes)
        The runs: sizes log-spaced over ``N_opt(C) / span .. N_opt(C) * span`` and
        their tokens ``C / (k N)``.
    expected_loss : ndarray, shape (n_budgets, n_sizes)
        The prior law's loss at each run.
    total_compute : float
        FLOPs to train the whole sweep: ``n_sizes * sum(compute)``.
    span : float
        Each budget's sizes reach ``span`` times either side of the prior optimum.
    noise_sd : float
        Standard deviation of the simulated noise on ``ln L``.
    n_sims : int
        Simulated sweeps.
    a_se_linear : float
        The standard error of ``a`` from linearising the parabola vertices and the power
        law in the noise (no simulation; the designer's inverse search uses it).
    forecasts : dict of str to EstimatorForecast
        Per vertex estimator: the expected vertex bias and the standard error of ``a``
        by simulation.
    flops_per_param_token : float
        ``k`` in ``C = k N D``.
    """

    prior_law: ChinchillaLaw
    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    expected_loss: FloatArray
    total_compute: float
    span: float
    noise_sd: float
    n_sims: int
    a_se_linear: float
    forecasts: Mapping[str, EstimatorForecast]
    flops_per_param_token: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_budgets(self) -> int:
        return int(self.n_params.shape[0])

    @property
    def n_sizes(self) -> int:
        return int(self.n_params.shape[1])

    @property
    def a_se(self) -> float:
        """The simulated standard error of ``a`` of the first estimator."""
        return next(iter(self.forecasts.values())).a_se

    def runs(self) -> dict[str, FloatArray]:
        """The runs as flat columns ``n_params``, ``n_tokens``, ``compute`` (one per run)."""
        return {
            "n_params": self.n_params.ravel().copy(),
            "n_tokens": self.n_tokens.ravel().copy(),
            "compute": np.repeat(self.compute, self.n_sizes),
        }

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{k}: a_se={v.a_se:.3g}, a_bias={v.a_bias:+.3g}" for k, v in self.forecasts.items()
        )
        return (
            f"IsoFLOPDesign({self.n_budgets} budgets {self.compute[0]:.3g}..{self.compute[-1]:.3g}"
            f" x {self.n_sizes} sizes (span {self.span:g}), total {self.total_compute:.4g} "
            f"FLOPs, noise_sd={self.noise_sd:g}; {parts}; a_se_linear={self.a_se_linear:.3g})"
        )


def _design_grid(
    law: ChinchillaLaw, compute: FloatArray, n_sizes: int, span: float, k: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    n_opt = law.optimal(compute, flops_per_param_token=k).n_params
    offsets = np.linspace(-math.log(span), math.log(span), n_sizes)
    n = n_opt[:, None] * np.exp(offsets)[None, :]
    d = compute[:, None] / (k * n)
    return n, d, law.loss(n, d)


def _vertices(
    name: str, log_n: FloatArray, losses: FloatArray, window: int
) -> tuple[FloatArray, BoolArray]:
    """Per sweep and budget: the vertex ``ln N*`` by estimator ``name``, and whether it is usable.

    ``log_n`` has shape (budgets, sizes); ``losses`` (sweeps, budgets, sizes). The
    vertex is :func:`~chinchilla_laws.isoflop.vertex_estimates`'s, the numbers
    :func:`~chinchilla_laws.isoflop_minima` gives; a budget without a valley or with its
    vertex outside the sampled sizes is unusable (left out of the power law, as there).
    """
    sims, budgets, sizes = losses.shape
    rows = np.broadcast_to(log_n, losses.shape).reshape(-1, sizes)
    est = vertex_estimates(rows, losses.reshape(-1, sizes), vertex=name, window=window)  # type: ignore[arg-type]
    usable = (est.valley & est.bracketed).reshape(sims, budgets)
    x_star = np.where(usable, est.log_vertex.reshape(sims, budgets), np.nan)
    return x_star, usable


def _slopes(log_c: FloatArray, x_star: FloatArray, usable: BoolArray) -> FloatArray:
    """Least-squares slope of ``x_star`` on ``log_c`` per sweep, over usable budgets."""
    w = usable.astype(np.float64)
    y = np.where(usable, x_star, 0.0)
    sw = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        xm = (w * log_c[None, :]).sum(axis=1) / sw
        ym = (w * y).sum(axis=1) / sw
        dx = log_c[None, :] - xm[:, None]
        sxx = (w * dx * dx).sum(axis=1)
        sxy = (w * dx * (y - ym[:, None])).sum(axis=1)
        slope = sxy / sxx
    out: FloatArray = np.where(sw >= 2, slope, np.nan)
    return out


def _a_se_linear(log_n: FloatArray, loss: FloatArray, log_c: FloatArray, sd: float) -> float:
    """SE of ``a`` from the parabola vertices linearised in log-normal noise of sd ``sd``."""
    lo, hi = log_n.min(axis=1), log_n.max(axis=1)
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    t = (log_n - centre[:, None]) / half[:, None]
    design = np.stack([np.ones_like(t), t, t * t], axis=2)
    proj = np.linalg.pinv(design)  # (budgets, 3, sizes)
    coef = np.einsum("bks,bs->bk", proj, loss)
    b1, b2 = coef[:, 1], coef[:, 2]
    # d t* / d coef for t* = -b1 / (2 b2)
    grad = np.stack([np.zeros_like(b1), -1.0 / (2.0 * b2), b1 / (2.0 * b2 * b2)], axis=1)
    # noise on ln L of sd `sd` is noise on L of sd `sd * L` (first order)
    sens = np.einsum("bk,bks->bs", grad, proj) * loss * sd
    var_x = half**2 * (sens**2).sum(axis=1)
    dx = log_c - log_c.mean()
    w = dx / float(dx @ dx)
    return float(math.sqrt(float((w * w) @ var_x)))


def _check_estimators(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(
            f"`estimators` must be a name or a sequence of names from {list(ESTIMATORS)}; "
            f"got {_describe(value)}."
        ) from None
    if not items:
        raise ValueError(f"`estimators` must name at least one of {list(ESTIMATORS)}; got none.")
    for item in items:
        if item not in ESTIMATORS:
            raise ValueError(f"`estimators` must be among {list(ESTIMATORS)}; got {item!r}.")
    return tuple(dict.fromkeys(items))


def _check_window(value: Any, n_sizes: int | None) -> int:
    win = as_int(value, "window", minimum=3)
    if win % 2 == 0:
        raise ValueError(f"`window` must be an odd integer >= 3; got {win}.")
    if n_sizes is not None and win > n_sizes:
        raise ValueError(
            f"`window` must not exceed `n_sizes` ({n_sizes}) for the local estimator; got {win}."
        )
    return win


def _check_design_args(
    prior_law: Any, n_sizes: Any, span: Any, noise_sd: Any, k: Any
) -> tuple[ChinchillaLaw, int, float, float, float]:
    if not isinstance(prior_law, ChinchillaLaw):
        raise TypeError(f"`prior_law` must be a ChinchillaLaw; got {_describe(prior_law)}.")
    sizes = as_int(n_sizes, "n_sizes", minimum=3)
    sp = as_positive_scalar(span, "span")
    if not sp > 1:
        raise ValueError(f"`span` must be greater than 1; got {sp!r}.")
    sd = as_positive_scalar(noise_sd, "noise_sd")
    kk = as_positive_scalar(k, "flops_per_param_token")
    return prior_law, sizes, sp, sd, kk


def design_isoflop(
    budgets: ArrayLike,
    prior_law: ChinchillaLaw,
    *,
    n_sizes: int = 9,
    span: float = 8.0,
    noise_sd: float = 0.01,
    n_sims: int = 200,
    estimators: str | tuple[str, ...] = ESTIMATORS,
    window: int = 5,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
) -> IsoFLOPDesign:
    r"""Design an IsoFLOP sweep and forecast its vertex bias and the standard error of ``a``.

    At each budget the sizes are centred on the prior law's optimum ``N_opt(C)``,
    log-spaced from ``N_opt / span`` to ``N_opt * span``. The design is then scored two
    ways: on the prior law's exact losses (the estimator's systematic vertex bias, as
    :func:`~chinchilla_laws.isoflop_bias` measures it) and on ``n_sims`` sweeps with
    log-normal noise of standard deviation ``noise_sd`` on the loss (the spread of the
    fitted exponent ``a``: its expected standard error).

    Parameters
    ----------
    budgets : array_like
        FLOP budgets (``C = k N D``), at least two distinct values.
    prior_law : ChinchillaLaw
        What you believe before the sweep (e.g. a preset or an earlier fit).
    n_sizes : int, default 9
        Model sizes per budget (at least 3).
    span : float, default 8.0
        Sizes reach ``span`` times either side of the optimum (greater than 1): 1.8
        decades in all, about what Hoffmann et al.'s IsoFLOP curves cover. Narrower
        designs put less bias in each vertex but more noise in ``a``, and their vertices
        fall outside the sampled sizes more often.
    noise_sd : float, default 0.01
        Standard deviation of the noise on ``ln L`` of a run (0.01: about 1% of the
        loss, run-to-run noise of a typical sweep).
    n_sims : int, default 200
        Simulated sweeps.
    estimators : str or tuple of str, default ("parabola", "local", "spline")
        Vertex estimators to forecast (see :func:`~chinchilla_laws.isoflop_minima`'s
        ``vertex``); :attr:`IsoFLOPDesign.a_se` reports the first.
    window : int, default 5
        Sizes in the ``"local"`` estimator's window (odd, 3 to ``n_sizes``).
    rng : None, int, SeedSequence or Generator
        Randomness of the simulation (SPEC 7).
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.

    Returns
    -------
    IsoFLOPDesign
        The runs, the total compute, and per estimator an :class:`EstimatorForecast`;
        ``a_se_linear`` is the standard error from linearising in the noise.

    Notes
    -----
    A sweep's vertex ``N*`` at each budget comes from the estimator exactly as
    :func:`~chinchilla_laws.isoflop_minima` computes it (a budget whose vertex has no
    valley or falls outside the sampled sizes is flagged and left out), and ``a`` is the
    least-squares slope of ``ln N*`` on ``ln C``. The linearised standard error
    propagates the noise through the parabola coefficients to the vertex,
    :math:`t^* = -b_1 / (2 b_2)`, by the delta method, and through the power law's
    least-squares slope, :math:`\operatorname{Var}(a) = \sum_j w_j^2
    \operatorname{Var}(\ln N^*_j)` with :math:`w_j = (\ln C_j - \overline{\ln C}) /
    S_{xx}`; it ignores flagged budgets and is accurate while the vertex moves little
    compared with the sampled width.

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> from chinchilla_laws.planning import design_isoflop
    >>> design = design_isoflop(np.geomspace(1e18, 1e21, 4), HOFFMANN_2022_TEX, rng=0)
    >>> f = design.forecasts["parabola"]
    >>> print(f"a_se = {f.a_se:.4f} (linearised {design.a_se_linear:.4f}), "
    ...       f"total = {design.total_compute:.3g} FLOPs")
    a_se = 0.0161 (linearised 0.0152), total = 1e+22 FLOPs
    """
    law, sizes, sp, sd, k = _check_design_args(
        prior_law, n_sizes, span, noise_sd, flops_per_param_token
    )
    c = np.unique(as_float_array(budgets, "budgets", positive=True, min_size=1))
    if c.size < 2:
        raise ValueError(
            f"`budgets` must hold at least two distinct budgets (a power law needs two); "
            f"got {c.size}."
        )
    sims = as_int(n_sims, "n_sims", minimum=2)
    names = _check_estimators(estimators)
    win = _check_window(window, sizes if "local" in names else None)
    gen = as_rng(rng)
    n, d, loss = _design_grid(law, c, sizes, sp, k)
    log_n, log_c = np.log(n), np.log(c)
    log_opt = np.log(law.optimal(c, flops_per_param_token=k).n_params)
    noise = np.exp(sd * gen.standard_normal((sims, *loss.shape)))
    forecasts = {}
    for name in names:
        x_exact, ok_exact = _vertices(name, log_n, loss[None, ...], win)
        x_exact, ok_exact = x_exact[0], ok_exact[0]
        a_exact = _slopes(log_c, x_exact[None, :], ok_exact[None, :])[0]
        x_sim, ok_sim = _vertices(name, log_n, loss[None, ...] * noise, win)
        a_sims = _slopes(log_c, x_sim, ok_sim)
        dev = np.where(ok_sim, x_sim - log_opt[None, :], np.nan)
        with warnings.catch_warnings():
            # a budget flagged in every sweep has no vertex statistics: NaN, as documented
            warnings.simplefilter("ignore", RuntimeWarning)
            bias_b = np.nanmean(dev, axis=0)
            se_b = np.nanstd(dev, axis=0, ddof=1)
        good = np.isfinite(a_sims)
        forecasts[name] = EstimatorForecast(
            estimator=name,
            vertex_ratio=np.where(ok_exact, np.exp(x_exact - log_opt), np.nan),
            vertex_bias_sim=np.asarray(bias_b, dtype=np.float64),
            vertex_se_sim=np.asarray(se_b, dtype=np.float64),
            a_bias=float(a_exact - law.a),
            a_se=float(np.std(a_sims[good], ddof=1)) if good.sum() >= 2 else math.nan,
            a_mean_bias=float(np.mean(a_sims[good]) - law.a) if good.any() else math.nan,
            a_sims=a_sims,
            flagged_fraction=float(1.0 - ok_sim.mean()),
            n_failed=int((~good).sum()),
        )
    return IsoFLOPDesign(
        prior_law=law,
        compute=c,
        n_params=n,
        n_tokens=d,
        expected_loss=loss,
        total_compute=float(sizes * c.sum()),
        span=sp,
        noise_sd=sd,
        n_sims=sims,
        a_se_linear=_a_se_linear(log_n, loss, log_c, sd),
        forecasts=forecasts,
        flops_per_param_token=k,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class IsoFLOPPlan(Record):
    """The cheapest IsoFLOP design that reaches a target standard error of ``a``.

    Attributes
    ----------
    target_se : float
        The standard error of ``a`` asked for.
    design : IsoFLOPDesign
        The chosen design (simulated: ``design.a_se`` is its standard error by
        simulation, ``design.a_se_linear`` the linearised one).
    candidate_n_budgets, candidate_n_sizes : ndarray of int
        Every design searched: budgets log-spaced over the range, sizes per budget.
    candidate_a_se_linear : ndarray
        Their linearised standard errors of ``a``.
    candidate_total_compute : ndarray
        Their total training FLOPs.
    """

    target_se: float
    design: IsoFLOPDesign
    candidate_n_budgets: Any
    candidate_n_sizes: Any
    candidate_a_se_linear: FloatArray
    candidate_total_compute: FloatArray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_budgets(self) -> int:
        return self.design.n_budgets

    @property
    def n_sizes(self) -> int:
        return self.design.n_sizes

    @property
    def total_compute(self) -> float:
        return self.design.total_compute

    def __repr__(self) -> str:
        return (
            f"IsoFLOPPlan(target_se={self.target_se:g}: {self.n_budgets} budgets x "
            f"{self.n_sizes} sizes, total {self.total_compute:.4g} FLOPs, a_se "
            f"{self.design.a_se:.4g} simulated, {self.design.a_se_linear:.4g} linearised)"
        )


_VERIFY_TRIES = 20
"""Candidates checked by simulation, cheapest first, before giving up."""


def design_isoflop_for_se(
    target_se: float,
    prior_law: ChinchillaLaw,
    *,
    budget_range: tuple[float, float] = (1e18, 1e21),
    span: float = 8.0,
    noise_sd: float = 0.01,
    max_budgets: int = 20,
    max_sizes: int = 25,
    n_sims: int = 200,
    estimators: str | tuple[str, ...] = ESTIMATORS,
    window: int = 5,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
) -> IsoFLOPPlan:
    r"""How many budgets and sizes an IsoFLOP sweep needs for a target standard error of ``a``.

    Searches designs with ``2 .. max_budgets`` budgets log-spaced over
    ``budget_range`` and ``3 .. max_sizes`` sizes per budget (as
    :func:`design_isoflop` places them), ranks those whose linearised standard error of
    ``a`` meets ``target_se`` by total training compute, and returns the cheapest one
    whose simulated standard error meets it too.

    Parameters
    ----------
    target_se : float
        The standard error of the exponent ``a`` to reach.
    prior_law : ChinchillaLaw
        The law the designs are centred on and simulated from.
    budget_range : (float, float), default (1e18, 1e21)
        Smallest and largest budget (FLOPs, ``C = k N D``).
    span, noise_sd, n_sims, estimators, window, rng, flops_per_param_token
        As in :func:`design_isoflop`; with ``"local"`` among the estimators, designs
        have at least ``window`` sizes.
    max_budgets, max_sizes : int, default 20 and 25
        The largest designs searched.

    Returns
    -------
    IsoFLOPPlan
        The chosen design, its total compute, and the table of candidates.

    Raises
    ------
    ValueError
        When no design within the limits reaches ``target_se`` (the message gives the
        smallest standard error they reach).

    Examples
    --------
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> from chinchilla_laws.planning import design_isoflop_for_se
    >>> plan = design_isoflop_for_se(0.01, HOFFMANN_2022_TEX, rng=0)
    >>> print(plan.n_budgets, plan.n_sizes, f"{plan.total_compute:.3g}")
    19 6 1.88e+22
    """
    law, _, sp, sd, k = _check_design_args(prior_law, 3, span, noise_sd, flops_per_param_token)
    target = as_positive_scalar(target_se, "target_se")
    try:
        lo, hi = (float(v) for v in budget_range)
    except (TypeError, ValueError):
        raise TypeError(
            f"`budget_range` must be a pair (low, high) of FLOPs; got {_describe(budget_range)}."
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"`budget_range` must satisfy 0 < low < high; got ({lo!r}, {hi!r}).")
    mb = as_int(max_budgets, "max_budgets", minimum=2)
    ms = as_int(max_sizes, "max_sizes", minimum=3)
    sims = as_int(n_sims, "n_sims", minimum=2)
    names = _check_estimators(estimators)
    win = _check_window(window, None)
    min_sizes = win if "local" in names else 3
    if ms < min_sizes:
        raise ValueError(
            f"`max_sizes` must be at least the local estimator's `window` ({win}); got {ms}."
        )
    gen = as_rng(rng)
    nb_list, ns_list, se_list, cost_list = [], [], [], []
    for nb in range(2, mb + 1):
        c = np.geomspace(lo, hi, nb)
        log_c = np.log(c)
        for ns in range(min_sizes, ms + 1):
            n, _, loss = _design_grid(law, c, ns, sp, k)
            nb_list.append(nb)
            ns_list.append(ns)
            se_list.append(_a_se_linear(np.log(n), loss, log_c, sd))
            cost_list.append(float(ns * c.sum()))
    se = np.array(se_list)
    cost = np.array(cost_list)
    meets = np.flatnonzero(se <= target)
    if meets.size == 0:
        raise ValueError(
            f"`target_se` = {target!r} is below what designs of up to {mb} budgets x {ms} "
            f"sizes over {lo:.3g}..{hi:.3g} FLOPs reach (the smallest linearised standard "
            f"error is {se.min():.4g}); raise `max_budgets` or `max_sizes`, widen "
            "`budget_range`, or accept a larger `target_se`."
        )
    order = meets[np.lexsort((se[meets], cost[meets]))]
    chosen = None
    for i in order[:_VERIFY_TRIES]:
        design = design_isoflop(
            np.geomspace(lo, hi, nb_list[i]),
            law,
            n_sizes=ns_list[i],
            span=sp,
            noise_sd=sd,
            n_sims=sims,
            estimators=names,
            window=win,
            rng=gen,
            flops_per_param_token=k,
        )
        if design.a_se <= target:
            chosen = design
            break
    if chosen is None:
        raise ValueError(
            f"`target_se` = {target!r}: the {min(order.size, _VERIFY_TRIES)} cheapest designs "
            "that reach it by the linearised standard error miss it by simulation (the "
            "noise is too large for the linearisation); raise `span` or accept a larger "
            "`target_se`."
        )
    return IsoFLOPPlan(
        target_se=target,
        design=chosen,
        candidate_n_budgets=np.array(nb_list, dtype=np.int64),
        candidate_n_sizes=np.array(ns_list, dtype=np.int64),
        candidate_a_se_linear=se,
        candidate_total_compute=cost,
    )


# ---------------------------------------------------------------------- compute-equivalent speedup
def compute_equivalent_speedup(
    law: Any, loss_worse: ArrayLike, loss_better: ArrayLike
) -> FloatArray:
    r"""How much compute a loss improvement is worth under ``L(C) = E + A C^{-alpha}``.

    The factor by which a run reaching ``loss_worse`` would need more compute to reach
    ``loss_better`` on the same curve:

    .. math::

        s = \left(\frac{L_{worse} - E}{L_{better} - E}\right)^{1/\alpha}.

    Parameters
    ----------
    law : SaturatingPowerLaw, or any object with float attributes ``E`` and ``alpha``
        A saturating loss-versus-compute law, e.g. a fit of the ``"saturating"`` family
        (:func:`~chinchilla_laws.fit_law`) or :attr:`ComputeMultiplier.law`.
    loss_worse, loss_better : float or array_like
        Losses above ``law.E`` (broadcast together).

    Returns
    -------
    ndarray
        The speedups (above 1 when ``loss_better < loss_worse``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> law = SimpleNamespace(E=1.7, A=1e3, alpha=0.15)
    >>> print(f"{compute_equivalent_speedup(law, 2.3, 2.2)[0]:.4f}")
    3.3719
    """
    e, alpha = _saturating_params(law)
    worse = np.atleast_1d(as_positive_array(loss_worse, "loss_worse"))
    better = np.atleast_1d(as_positive_array(loss_better, "loss_better"))
    for name, arr in (("loss_worse", worse), ("loss_better", better)):
        if not np.all(arr > e):
            raise ValueError(
                f"`{name}` must exceed the law's irreducible loss E = {e!r}; got "
                f"{float(arr[~(arr > e)][0])!r}."
            )
    try:
        out: FloatArray = np.exp((np.log(worse - e) - np.log(better - e)) / alpha)
    except ValueError:
        raise ValueError(
            f"`loss_worse` and `loss_better` must broadcast together; got shapes "
            f"{worse.shape} and {better.shape}."
        ) from None
    return out


def _saturating_params(law: Any) -> tuple[float, float]:
    try:
        e, alpha = float(law.E), float(law.alpha)
    except (AttributeError, TypeError, ValueError):
        raise TypeError(
            "`law` must be a saturating law with float attributes `E` and `alpha` "
            f"(L(C) = E + A C^-alpha); got {_describe(law)}."
        ) from None
    if not (math.isfinite(e) and math.isfinite(alpha) and e >= 0 and alpha > 0):
        raise ValueError(f"`law` must have E >= 0 and alpha > 0; got E={e!r}, alpha={alpha!r}.")
    return e, alpha


class MultiplierStatus(enum.Enum):
    """How the two-arm fit ended; the value is the message."""

    SUCCESS = "converged: the least-squares fit reached a stationary point"
    NOT_CONVERGED = "the least-squares fit did not converge; the multiplier may be inaccurate"
    SINGULAR = (
        "the data do not determine the multiplier (a flat or degenerate arm: a parameter "
        "went to 0 or infinity, the Jacobian lost rank); no interval"
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class ComputeMultiplier(Result):
    r"""Two training recipes compared as a compute multiplier (:func:`compute_multiplier`).

    Attributes
    ----------
    multiplier : float
        ``m``: the new recipe at compute ``C`` reaches the baseline's loss at ``m C``
        (above 1: the new recipe is better).
    interval : tuple of float
        ``(low, high)`` confidence interval on ``m`` at ``level``.
    level : float
        Confidence level of ``interval``.
    log_multiplier_se : float
        Standard error of ``ln m``.
    law : SaturatingPowerLaw or None
        The baseline's law ``E + A C^{-alpha}`` (None when a fitted parameter is not a
        finite positive number, status ``SINGULAR``).
    new_law : SaturatingPowerLaw or None
        The new recipe's law: the same ``E`` and ``alpha``, ``A m^{-alpha}``.
    covariance : ndarray, shape (4, 4)
        Covariance of ``(ln E, ln A, ln alpha, ln m)``.
    residual_sd : float
        Standard deviation of the residuals of ``ln L``.
    n_baseline, n_new : int
        Runs in each arm.
    status : MultiplierStatus
    nfev : int
        Function evaluations of the best start.
    interval_method : {"wald", "bootstrap"}
        How ``interval`` was formed (the ``interval`` argument).
    bootstrap : JointBootstrap or None
        The joint bootstrap behind a ``"bootstrap"`` interval (its
        :meth:`~chinchilla_laws.JointBootstrap.multiplier_samples` are the
        resampled multipliers).
    """

    multiplier: float
    interval: tuple[float, float]
    level: float
    log_multiplier_se: float
    law: SaturatingPowerLaw | None
    new_law: SaturatingPowerLaw | None
    covariance: FloatArray
    residual_sd: float
    n_baseline: int
    n_new: int
    status: MultiplierStatus
    nfev: int
    interval_method: str = "wald"
    bootstrap: JointBootstrap | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def message(self) -> str:
        return self.status.value


def _arm_residuals(
    p: FloatArray, x: FloatArray, s: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Residuals ``ln L_hat - ln L`` and their Jacobian in ``(ln E, ln A, ln alpha, ln m)``."""
    e, a, alpha, delta = math.exp(p[0]), math.exp(p[1]), math.exp(p[2]), p[3]
    z = x + s * delta
    g = a * np.exp(-alpha * z)
    pred = e + g
    r = np.log(pred) - y
    jac = np.empty((x.size, 4))
    jac[:, 0] = e / pred
    jac[:, 1] = g / pred
    jac[:, 2] = -alpha * z * g / pred
    jac[:, 3] = -alpha * s * g / pred
    return r, jac


_START_ALPHAS = np.geomspace(0.01, 2.0, 40)
_START_LOG_MULTIPLIERS = np.linspace(-7.0, 7.0, 57)


def _multiplier_start(xc: FloatArray, s: FloatArray, y: FloatArray) -> FloatArray:
    """A start for the two-arm fit: ``E`` and ``A`` solved linearly on a grid of
    ``(alpha, ln m)``, the best grid point by the log residuals."""
    loss = np.exp(y)
    w = 1.0 / loss**2  # least squares on L with these weights ~ least squares on ln L
    z = np.exp(
        -_START_ALPHAS[:, None, None]
        * (xc[None, None, :] + s[None, None, :] * _START_LOG_MULTIPLIERS[None, :, None])
    )
    s0 = float(w.sum())
    s1 = (w * z).sum(axis=2)
    s2 = (w * z * z).sum(axis=2)
    t0 = float(w @ loss)
    t1 = (w * z * loss).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        det = s0 * s2 - s1 * s1
        e = (s2 * t0 - s1 * t1) / det
        a = (s0 * t1 - s1 * t0) / det
        pred = e[..., None] + a[..., None] * z
        sse = np.where((e > 0) & (a > 0), np.sum((np.log(pred) - y) ** 2, axis=2), np.inf)
    if not np.isfinite(sse).any():  # no grid point with positive E and A: a neutral start
        return np.array(
            [math.log(0.5 * loss.min()), math.log(0.5 * loss.mean()), math.log(0.2), 0.0]
        )
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)
    return np.array(
        [
            math.log(e[i, j]),
            math.log(a[i, j]),
            math.log(_START_ALPHAS[i]),
            _START_LOG_MULTIPLIERS[j],
        ]
    )


LEAST_SQUARES_DELTA = 1e3
"""Huber threshold that makes the engine's objective least squares on ``ln L``
(no log-loss residual of a sensible fit comes near it)."""


def _saturating_law(e: float, a: float, alpha: float) -> SaturatingPowerLaw | None:
    if all(math.isfinite(v) and v > 0 for v in (e, a, alpha)):
        return SaturatingPowerLaw(E=e, A=a, alpha=alpha)
    return None


def compute_multiplier(
    baseline_compute: ArrayLike,
    baseline_loss: ArrayLike,
    new_compute: ArrayLike,
    new_loss: ArrayLike,
    *,
    level: float = 0.95,
    interval: Literal["wald", "bootstrap"] = "wald",
    n_resamples: int = 1000,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> ComputeMultiplier:
    r"""How much compute a new training recipe is worth: both arms fitted with shared E, alpha.

    The baseline follows :math:`L(C) = E + A C^{-\alpha}` and the new recipe
    :math:`L(C) = E + A (m C)^{-\alpha}`: the same irreducible loss and exponent, its
    compute worth ``m`` times the baseline's at every budget. Both arms are fitted at
    once by least squares on ``ln L``.

    Parameters
    ----------
    baseline_compute, baseline_loss : array_like
        The baseline's runs: training FLOPs and final loss (at least 3 distinct budgets).
    new_compute, new_loss : array_like
        The new recipe's runs (at least one).
    level : float, default 0.95
        Confidence level of the interval on ``m``.
    interval : {"wald", "bootstrap"}, default "wald"
        ``"wald"``: from the fit's covariance (see Notes). ``"bootstrap"``: the
        percentile interval of ``m`` over a joint bootstrap of the same least-squares
        fit (:func:`~chinchilla_laws.bootstrap_joint` of the ``"saturating"`` family
        with ``E`` and ``alpha`` shared, runs resampled within each arm); it needs at
        least 3 distinct budgets in each arm. The point estimate is the same.
    n_resamples : int, default 1000
        Resamples of the ``"bootstrap"`` interval.
    rng : int, Generator or SeedSequence, optional
        Randomness of the ``"bootstrap"`` interval (SPEC 7).

    Returns
    -------
    ComputeMultiplier
        ``multiplier`` with its interval, the fitted laws and the covariance.

    Raises
    ------
    ValueError
        Fewer than 3 distinct baseline budgets (and, for ``interval="bootstrap"``,
        new budgets), no new runs, fewer than 5 runs in all, non-positive or
        non-finite data.

    Notes
    -----
    With the shared parameters the compute-equivalent speedup between the recipes is
    the same at every loss, :math:`m = (A_{base} / A_{new})^{1/\alpha}`, which
    :func:`compute_equivalent_speedup` also gives for the two arms' losses at any one
    budget. The fit minimises :math:`\sum_i (\ln \hat L_i - \ln L_i)^2` over
    :math:`(\ln E, \ln A, \ln\alpha, \ln m)`
    (trust-region least squares with the analytic Jacobian, started from the best
    point of a grid over :math:`(\alpha, \ln m)` on which ``E`` and ``A`` are solved
    linearly); the interval is
    :math:`\exp(\ln m \pm t\,\mathrm{se})` with the standard error from the
    Gauss-Newton covariance :math:`\hat\sigma^2 (J^\top J)^{-1}` and ``t`` the
    Student quantile on ``n - 4`` degrees of freedom.

    The ``"bootstrap"`` interval refits the same objective (least squares on
    :math:`\ln L`: the engine's Huber loss with a threshold no residual reaches) to
    runs resampled within each arm, and reports percentiles of
    :math:`m = (A_{base}/A_{new})^{1/\alpha}`. It does not lean on the
    linearisation or on normal residuals; with few runs per arm both intervals
    are approximate (coverage measured in the planning how-to).

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import SaturatingPowerLaw, compute_multiplier
    >>> base = SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
    >>> c = np.geomspace(1e18, 1e21, 6)
    >>> res = compute_multiplier(c, base.loss(c), c, base.loss(2.5 * c))
    >>> print(f"{res.multiplier:.6f}")
    2.500000
    """
    from scipy.optimize import least_squares
    from scipy.special import stdtrit

    cb = as_float_array(baseline_compute, "baseline_compute", positive=True)
    lb = as_float_array(baseline_loss, "baseline_loss", positive=True)
    same_length(baseline_compute=cb, baseline_loss=lb)
    cn = as_float_array(new_compute, "new_compute", positive=True, min_size=1)
    ln = as_float_array(new_loss, "new_loss", positive=True)
    same_length(new_compute=cn, new_loss=ln)
    lev = as_positive_scalar(level, "level")
    if lev >= 1:
        raise ValueError(f"`level` must lie in (0, 1); got {lev!r}.")
    method = as_choice(interval, "interval", ("wald", "bootstrap"))
    if method == "bootstrap" and np.unique(cn).size < 3:
        raise ValueError(
            "`new_compute` must hold at least 3 distinct budgets for interval='bootstrap' "
            f"(the engine's joint fit checks each arm alone); got {np.unique(cn).size}."
        )
    if np.unique(cb).size < 3:
        raise ValueError(
            "`baseline_compute` must hold at least 3 distinct budgets (E, A and alpha are "
            f"fitted on them); got {np.unique(cb).size}."
        )
    if cb.size + cn.size < 5:
        raise ValueError(
            "the two arms must hold at least 5 runs in all (4 parameters and a residual); "
            f"got {cb.size + cn.size}."
        )
    x = np.log(np.concatenate([cb, cn]))
    y = np.log(np.concatenate([lb, ln]))
    s = np.concatenate([np.zeros(cb.size), np.ones(cn.size)])
    size = x.size
    # centre log C: A then refers to the middle of the data (better conditioned)
    x0 = float(x.mean())
    xc = x - x0
    start = _multiplier_start(xc, s, y)
    best = least_squares(
        lambda p: _arm_residuals(p, xc, s, y)[0],
        start,
        jac=lambda p: _arm_residuals(p, xc, s, y)[1],
        method="trf",
        x_scale="jac",
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
        max_nfev=1000,
    )
    p = best.x
    with np.errstate(over="ignore", invalid="ignore"):
        r, jac = _arm_residuals(p, xc, s, y)
        e, alpha = float(np.exp(p[0])), float(np.exp(p[2]))
        a_base = float(np.exp(p[1] + alpha * x0))
        delta = float(p[3])
        m = float(np.exp(delta))
    dof = size - 4
    sigma2 = float(r @ r) / dof
    finite = bool(np.all(np.isfinite(jac))) and all(
        math.isfinite(v) and v > 0 for v in (e, alpha, a_base, m)
    )
    # a flat or degenerate arm sends a parameter off to 0 or infinity: the Jacobian
    # loses rank and the multiplier is not determined
    if not finite or int(np.linalg.matrix_rank(jac)) < 4:
        cov = np.full((4, 4), math.nan)
        status = MultiplierStatus.SINGULAR
    else:
        cov = sigma2 * np.linalg.inv(jac.T @ jac)
        # the covariance of (ln E, ln A, ln alpha, ln m) with A at C = 1:
        # ln A_1 = ln A_c + alpha x0
        t = np.eye(4)
        t[1, 2] = alpha * x0
        cov = t @ cov @ t.T
        status = MultiplierStatus.SUCCESS if best.status > 0 else MultiplierStatus.NOT_CONVERGED
    se = float(math.sqrt(cov[3, 3])) if np.isfinite(cov[3, 3]) else math.nan
    z = float(stdtrit(dof, 0.5 + lev / 2))
    with np.errstate(over="ignore", invalid="ignore"):
        iv = (float(np.exp(delta - z * se)), float(np.exp(delta + z * se)))
        a_new = float(a_base * np.exp(-alpha * delta))
    if status is not MultiplierStatus.SUCCESS:
        category = (
            IdentifiabilityWarning if status is MultiplierStatus.SINGULAR else ConvergenceWarning
        )
        warnings.warn(f"compute_multiplier: {status.value}.", category, stacklevel=2)
    boot: JointBootstrap | None = None
    if method == "bootstrap" and status is MultiplierStatus.SUCCESS:
        from .joint import bootstrap_joint

        boot = bootstrap_joint(
            "saturating",
            [{"compute": cb, "loss": lb}, {"compute": cn, "loss": ln}],
            shared=("E", "alpha"),
            delta=LEAST_SQUARES_DELTA,
            n_resamples=n_resamples,
            rng=rng,
        )
        iv = boot.multiplier_interval(1, level=lev)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = float(np.std(np.log(boot.multiplier_samples(1)), ddof=1))
    elif method == "bootstrap":
        iv = (math.nan, math.nan)
    return ComputeMultiplier(
        multiplier=m,
        interval=iv,
        level=lev,
        log_multiplier_se=se,
        law=_saturating_law(e, a_base, alpha),
        new_law=_saturating_law(e, a_new, alpha),
        covariance=np.ascontiguousarray(cov),
        residual_sd=math.sqrt(sigma2),
        n_baseline=int(cb.size),
        n_new=int(cn.size),
        status=status,
        nfev=int(best.nfev),
        interval_method=method,
        bootstrap=boot,
    )
