r"""IsoFLOP minima (Hoffmann et al. 2022, Approach 2).

For each FLOP budget a parabola of final loss against ``ln N`` (or ``ln D``) is
fitted; its vertex is that budget's compute-optimal model, and power laws through
the vertices give ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``.
"""

from __future__ import annotations

import enum
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._typing import BoolArray, FloatArray, IntArray, readonly
from ._validation import (
    as_bool,
    as_choice,
    as_float_array,
    as_fraction,
    as_int,
    as_positive_scalar,
    same_length,
)
from .laws import ChinchillaLaw
from .powerlaw import PowerLaw, fit_power_law
from .warnings import IsoFLOPWarning

__all__ = [
    "IsoFLOPBias",
    "IsoFLOPBudget",
    "IsoFLOPResult",
    "IsoFLOPStatus",
    "isoflop_bias",
    "isoflop_minima",
]

Against = Literal["n_params", "n_tokens"]

_HUBER_K = 1.345
"""Huber threshold in units of the robust residual scale (95% efficiency at the normal)."""
_MAD_TO_SIGMA = 1.482602218505602
_IRLS_MAX_ITER = 100


class IsoFLOPStatus(enum.Enum):
    """The outcome of one budget's parabola fit; the value is the human message."""

    OK = "the vertex is a minimum bracketed by the sampled sizes"
    NOT_BRACKETED = "the vertex lies outside the sampled sizes (an extrapolated minimum)"
    NO_VALLEY = "the parabola has non-positive curvature (no minimum)"
    TOO_FEW_POINTS = "too few points (or fewer than 3 distinct sizes) for a parabola"


@dataclass(frozen=True, slots=True, kw_only=True)
class IsoFLOPBudget:
    r"""The parabola fit at one FLOP budget.

    Attributes
    ----------
    compute : float
        The budget ``C`` in FLOPs: the label when ``budgets`` was given, else the
        geometric mean of the runs' compute (``C = 6 N D`` unless ``compute`` was given).
    n_points : int
        Runs that entered the fit (those with positive weight).
    coefficients : tuple of float
        ``(c0, c1, c2)`` with ``loss ≈ c0 + c1 x + c2 x**2`` and ``x = ln N`` (or
        ``ln D`` when fitted against tokens); natural logarithms.
    n_params, n_tokens, loss : float
        The vertex ``N*``, ``D*`` and ``L*``. The fitted coordinate is the vertex
        itself; the other is read off the runs' own iso-curve (``ln D`` regressed on
        ``ln N`` over the budget's runs), which is ``C / (6 N*)`` when every run has
        exactly ``C = 6 N D``. NaN when there is no valley or too few points.
    sampled_range : tuple of float
        Smallest and largest sampled value of the fitted coordinate (``N`` or ``D``).
    r_squared : float
        Coefficient of determination of the (weighted) fit; NaN when undefined.
    bracketed : bool
        Whether the vertex lies within ``sampled_range``.
    curvature : float
        ``d² loss / dx² = 2 c2``; a valley needs it positive.
    status : IsoFLOPStatus
        ``OK``, ``NOT_BRACKETED``, ``NO_VALLEY`` or ``TOO_FEW_POINTS``.
    """

    compute: float
    n_points: int
    coefficients: tuple[float, float, float]
    n_params: float
    n_tokens: float
    loss: float
    sampled_range: tuple[float, float]
    r_squared: float
    bracketed: bool
    curvature: float
    status: IsoFLOPStatus

    @property
    def ok(self) -> bool:
        """Whether the budget's status is ``OK``."""
        return self.status is IsoFLOPStatus.OK


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class IsoFLOPResult:
    r"""IsoFLOP minima and the power laws through them.

    Attributes
    ----------
    budgets : tuple of IsoFLOPBudget
        One fit per budget, in increasing order of compute.
    compute, n_params, n_tokens, loss : ndarray
        Per budget: ``C`` and the vertex ``N*``, ``D*``, ``L*`` (read-only).
    used : ndarray of bool
        Per budget: whether its vertex entered the power laws.
    run_budget : ndarray of int
        Per input run (input order): the index into ``budgets`` of its group.
    n_params_law, n_tokens_law : PowerLaw or None
        ``N_opt = k_N C^a`` and ``D_opt = k_D C^b`` fitted by least squares in
        log-log space through the used vertices; ``None`` with fewer than two.
    against : {"n_params", "n_tokens"}
        The coordinate each parabola was fitted against.
    flops_per_param_token : float
        ``k`` of the compute convention ``C = k N D`` (6 by default).
    """

    budgets: tuple[IsoFLOPBudget, ...]
    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    loss: FloatArray
    used: BoolArray
    run_budget: IntArray = field(repr=False)
    n_params_law: PowerLaw | None
    n_tokens_law: PowerLaw | None
    against: Against
    flops_per_param_token: float

    def __post_init__(self) -> None:
        for name in ("compute", "n_params", "n_tokens", "loss", "used", "run_budget"):
            readonly(getattr(self, name))

    @property
    def success(self) -> bool:
        """Whether both power laws could be fitted (two or more usable budgets)."""
        return self.n_params_law is not None and self.n_tokens_law is not None

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a`` (NaN without power laws)."""
        return math.nan if self.n_params_law is None else self.n_params_law.exponent

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b`` (NaN without power laws)."""
        return math.nan if self.n_tokens_law is None else self.n_tokens_law.exponent

    @property
    def a_plus_b_minus_1(self) -> float:
        """``a + b - 1``: zero when every budget's runs satisfy ``C = 6 N D`` exactly.

        A departure measures how the runs' ``N D`` drifts from the budgets' ``C``
        across budgets (rounded sizes, FLOP counts that include attention, labels).
        """
        return self.a + self.b - 1.0

    @property
    def flagged(self) -> tuple[IsoFLOPBudget, ...]:
        """The budgets whose status is not ``OK``."""
        return tuple(bud for bud in self.budgets if not bud.ok)

    def optimal(self, compute: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``(N_opt, D_opt)`` at budgets ``compute`` (FLOPs) from the power laws.

        Raises ``ValueError`` when the power laws could not be fitted.
        """
        c = as_float_array(np.atleast_1d(np.asarray(compute)), "compute", positive=True)
        if self.n_params_law is None or self.n_tokens_law is None:
            raise ValueError(
                "`compute` cannot be mapped to an optimum: the result has no power laws "
                f"(fewer than 2 usable budgets out of {len(self.budgets)})."
            )
        return self.n_params_law(c), self.n_tokens_law(c)

    def __repr__(self) -> str:
        return (
            f"IsoFLOPResult(a={self.a:.6g}, b={self.b:.6g}, "
            f"budgets={len(self.budgets)}, used={int(self.used.sum())}, against={self.against!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class IsoFLOPBias:
    """The bias of the IsoFLOP method on noise-free data from a known law.

    Attributes
    ----------
    law : ChinchillaLaw
        The law that generated the data.
    fit : IsoFLOPResult
        The method applied to the noise-free runs.
    compute : ndarray
        Per budget: ``C``.
    n_params_ratio, n_tokens_ratio : ndarray
        Per budget: fitted vertex over the law's true optimum, ``N*/N_opt`` and
        ``D*/D_opt`` (1 means unbiased; NaN for budgets without a vertex).
    loss_excess : ndarray
        Per budget: ``L* - L_opt`` (the parabola's vertex loss minus the true
        minimum loss).
    a_bias, b_bias : float
        ``fit.a - law.a`` and ``fit.b - law.b`` (NaN without power laws).
    """

    law: ChinchillaLaw
    fit: IsoFLOPResult
    compute: FloatArray
    n_params_ratio: FloatArray
    n_tokens_ratio: FloatArray
    loss_excess: FloatArray
    a_bias: float
    b_bias: float

    def __post_init__(self) -> None:
        for name in ("compute", "n_params_ratio", "n_tokens_ratio", "loss_excess"):
            readonly(getattr(self, name))


# ---------------------------------------------------------------------- private helpers
def _optional_array(value: ArrayLike | None, name: str, **kwargs: Any) -> FloatArray | None:
    return None if value is None else as_float_array(value, name, **kwargs)


def _group_by_compute(c: FloatArray, rtol: float) -> tuple[IntArray, FloatArray]:
    """Single-linkage groups of ``c`` within ``rtol``; refuse chains wider than ``rtol``."""
    order = np.argsort(c, kind="stable")
    cs = c[order]
    breaks = np.flatnonzero(cs[1:] / cs[:-1] - 1.0 > rtol) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [cs.size]])
    labels = np.empty(c.size, dtype=np.int64)
    centres = np.empty(starts.size)
    for g, (s, e) in enumerate(zip(starts, ends, strict=True)):
        lo, hi = cs[s], cs[e - 1]
        if hi / lo - 1.0 > rtol:
            raise ValueError(
                "`compute` cannot be grouped into budgets unambiguously with "
                f"`budget_rtol`={rtol!r}: "
                f"runs from {lo:.6g} to {hi:.6g} FLOPs are chained within the tolerance but span "
                f"{hi / lo - 1.0:.3g}; pass `budgets` or another `budget_rtol`."
            )
        labels[order[s:e]] = g
        centres[g] = math.exp(float(np.mean(np.log(cs[s:e]))))
    return labels, centres


def _weighted_lstsq(design: FloatArray, y: FloatArray, w: FloatArray) -> FloatArray:
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    out: FloatArray = np.asarray(coef, dtype=np.float64)
    return out


def _fit_parabola(
    t: FloatArray, y: FloatArray, w: FloatArray, robust: bool, robust_scale: float | None
) -> tuple[FloatArray, FloatArray]:
    """Quadratic in ``t`` (already centred and scaled); Huber IRLS when ``robust``.

    Returns the coefficients (increasing degree) and the final weights.
    """
    design = np.column_stack([np.ones_like(t), t, t * t])
    coef = _weighted_lstsq(design, y, w)
    if not robust:
        return coef, w
    w_eff = w
    active = w > 0
    for _ in range(_IRLS_MAX_ITER):
        resid = y - design @ coef
        if robust_scale is None:
            scale = _MAD_TO_SIGMA * float(np.median(np.abs(resid[active])))
            threshold = _HUBER_K * scale
        else:
            threshold = robust_scale
        if not threshold > 0:  # exact fit: nothing to down-weight
            break
        absr = np.abs(resid)
        huber = np.where(absr <= threshold, 1.0, threshold / np.maximum(absr, 1e-300))
        w_eff = w * huber
        new = _weighted_lstsq(design, y, w_eff)
        if np.allclose(new, coef, rtol=1e-12, atol=1e-14):
            coef = new
            break
        coef = new
    return coef, w_eff


def _fit_budget(
    x: FloatArray,
    other: FloatArray,
    y: FloatArray,
    w: FloatArray,
    compute: float,
    *,
    against: Against,
    robust: bool,
    robust_scale: float | None,
    min_points: int,
) -> IsoFLOPBudget:
    """One budget: ``x`` the fitted log-coordinate, ``other`` the log of the other one."""
    keep = w > 0
    x, other, y, w = x[keep], other[keep], y[keep], w[keep]
    n = int(x.size)
    nan = math.nan
    sampled = (float(np.exp(x.min())), float(np.exp(x.max()))) if n else (nan, nan)

    def _result(**kw: Any) -> IsoFLOPBudget:
        return IsoFLOPBudget(compute=compute, n_points=n, sampled_range=sampled, **kw)

    if n < min_points or np.unique(x).size < 3:
        return _result(
            coefficients=(nan, nan, nan),
            n_params=nan,
            n_tokens=nan,
            loss=nan,
            r_squared=nan,
            bracketed=False,
            curvature=nan,
            status=IsoFLOPStatus.TOO_FEW_POINTS,
        )
    centre = 0.5 * (x.min() + x.max())
    half = 0.5 * (x.max() - x.min())
    t = (x - centre) / half
    (b0, b1, b2), w_eff = _fit_parabola(t, y, w, robust, robust_scale)
    # back to x = ln N: loss = c0 + c1 x + c2 x^2
    c2 = b2 / half**2
    c1 = b1 / half - 2.0 * c2 * centre
    c0 = b0 - b1 * centre / half + b2 * centre**2 / half**2
    fitted = b0 + b1 * t + b2 * t * t
    wsum = float(w_eff.sum())
    ybar = float(w_eff @ y) / wsum
    ss_tot = float(w_eff @ (y - ybar) ** 2)
    ss_res = float(w_eff @ (y - fitted) ** 2)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else nan
    curvature = 2.0 * c2
    if not b2 > 0:
        return _result(
            coefficients=(c0, c1, c2),
            n_params=nan,
            n_tokens=nan,
            loss=nan,
            r_squared=r2,
            bracketed=False,
            curvature=curvature,
            status=IsoFLOPStatus.NO_VALLEY,
        )
    t_star = -b1 / (2.0 * b2)
    x_star = centre + half * t_star
    l_star = b0 - b1 * b1 / (4.0 * b2)
    # the other coordinate from the runs' own iso-curve: ln(other) linear in ln(x)
    slope, intercept = np.polyfit(t, other, 1)
    o_star = intercept + slope * t_star
    bracketed = bool(-1.0 <= t_star <= 1.0)
    v_star, v_other = math.exp(x_star), math.exp(o_star)
    n_star, d_star = (v_star, v_other) if against == "n_params" else (v_other, v_star)
    return _result(
        coefficients=(c0, c1, c2),
        n_params=n_star,
        n_tokens=d_star,
        loss=l_star,
        r_squared=r2,
        bracketed=bracketed,
        curvature=curvature,
        status=IsoFLOPStatus.OK if bracketed else IsoFLOPStatus.NOT_BRACKETED,
    )


def _isoflop_core(
    n: FloatArray,
    d: FloatArray,
    y: FloatArray,
    c_run: FloatArray,
    labels: FloatArray | None,
    *,
    budget_rtol: float,
    k: float,
    against: Against,
    w: FloatArray,
    robust: bool,
    robust_scale: float | None,
    include_flagged: bool,
    min_points: int,
) -> tuple[IsoFLOPResult, str | None]:
    """The method on validated arrays; returns the result and a warning message (or None)."""
    if labels is None:
        run_budget, centres = _group_by_compute(c_run, budget_rtol)
    else:
        centres, inverse = np.unique(labels, return_inverse=True)
        run_budget = np.asarray(inverse, dtype=np.int64).reshape(-1)
    ln_n, ln_d = np.log(n), np.log(d)
    x_all, o_all = (ln_n, ln_d) if against == "n_params" else (ln_d, ln_n)
    fits = []
    for g, cg in enumerate(centres):
        sel = run_budget == g
        fits.append(
            _fit_budget(
                x_all[sel],
                o_all[sel],
                y[sel],
                w[sel],
                float(cg),
                against=against,
                robust=robust,
                robust_scale=robust_scale,
                min_points=min_points,
            )
        )
    statuses = [f.status for f in fits]
    allowed = (
        {IsoFLOPStatus.OK, IsoFLOPStatus.NOT_BRACKETED} if include_flagged else {IsoFLOPStatus.OK}
    )
    used = np.array([s in allowed for s in statuses], dtype=np.bool_)
    compute = np.array([f.compute for f in fits])
    n_star = np.array([f.n_params for f in fits])
    d_star = np.array([f.n_tokens for f in fits])
    l_star = np.array([f.loss for f in fits])
    n_law = d_law = None
    n_used = int(used.sum())
    if n_used >= 2:
        n_law = fit_power_law(compute[used], n_star[used])
        d_law = fit_power_law(compute[used], d_star[used])
    messages = []
    flagged = [f for f in fits if not f.ok]
    if flagged:
        listing = "; ".join(f"C={f.compute:.4g}: {f.status.value}" for f in flagged)
        action = (
            "unbracketed ones included in the power laws, the others left out"
            if include_flagged
            else "left out of the power laws"
        )
        messages.append(
            f"{len(flagged)} of {len(fits)} IsoFLOP budgets flagged ({action}): {listing}."
        )
    if n_used < 2:
        messages.append(
            f"Only {n_used} usable budget(s) of {len(fits)}: no power laws were fitted "
            "(`n_params_law` and `n_tokens_law` are None)."
        )
    result = IsoFLOPResult(
        budgets=tuple(fits),
        compute=compute,
        n_params=n_star,
        n_tokens=d_star,
        loss=l_star,
        used=used,
        run_budget=run_budget,
        n_params_law=n_law,
        n_tokens_law=d_law,
        against=against,
        flops_per_param_token=k,
    )
    return result, (" ".join(messages) if messages else None)


# ---------------------------------------------------------------------- public API
def isoflop_minima(
    n_params: ArrayLike,
    n_tokens: ArrayLike | None = None,
    loss: ArrayLike | None = None,
    *,
    compute: ArrayLike | None = None,
    budgets: ArrayLike | None = None,
    budget_rtol: float = 0.05,
    flops_per_param_token: float = 6.0,
    against: Against = "n_params",
    weights: ArrayLike | None = None,
    robust: bool = False,
    robust_scale: float | None = None,
    include_flagged: bool = False,
    min_points: int = 3,
) -> IsoFLOPResult:
    r"""Fit IsoFLOP parabolas and power laws through their minima (Approach 2).

    Parameters
    ----------
    n_params : array_like
        Model size ``N`` of each run (positive, finite).
    n_tokens : array_like, optional
        Training tokens ``D`` of each run. Give exactly one of ``n_tokens`` and
        ``compute``.
    loss : array_like
        Final loss of each run (finite). Required.
    compute : array_like, optional
        Training FLOPs ``C`` of each run; ``D = C / (k N)`` is then derived. Without
        it ``C = k N D`` with ``k = flops_per_param_token`` (``C = 6 N D`` by default).
    budgets : array_like, optional
        The budget of each run in FLOPs, used as a label: runs with equal labels form
        one IsoFLOP curve and the label is that budget's ``C``. Without it, budgets are
        inferred by grouping the runs' ``C`` within ``budget_rtol``.
    budget_rtol : float, default 0.05
        Relative tolerance, in (0, 1), for inferring budgets: runs whose ``C`` are
        chained within it form a group, and a group that spans more than it raises
        ``ValueError`` (ambiguous grouping).
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    against : {"n_params", "n_tokens"}, default "n_params"
        Fit loss against ``ln N`` (Hoffmann et al.) or against ``ln D`` (Llama 3).
    weights : array_like, optional
        Non-negative weights on the squared residuals of the parabola fits; runs
        with weight 0 are left out.
    robust : bool, default False
        Fit each parabola by Huber iteratively reweighted least squares, so that a
        few outlying runs do not move the vertex.
    robust_scale : float, optional
        Huber threshold in loss units; by default ``1.345 × 1.4826 × MAD`` of the
        residuals at each iteration.
    include_flagged : bool, default False
        Also put ``NOT_BRACKETED`` vertices into the power laws. Budgets without a
        valley or with too few points never enter them (they have no minimum).
    min_points : int, default 3
        Fewest runs (with at least 3 distinct sizes) for a budget to be fitted.

    Returns
    -------
    IsoFLOPResult
        Per-budget fits, per-run budget labels, and the power laws
        ``N_opt = k_N C^a``, ``D_opt = k_D C^b`` (``None`` with fewer than two usable
        budgets).

    Warns
    -----
    IsoFLOPWarning
        Once, listing the flagged budgets (vertex not bracketed by the sampled sizes,
        no valley, too few points) and saying when fewer than two budgets are usable.

    Raises
    ------
    ValueError, TypeError
        On bad input: non-finite or non-positive data, mismatched lengths, both or
        neither of ``n_tokens`` and ``compute``, an ambiguous grouping.

    Notes
    -----
    At each budget the loss is fitted by (weighted) least squares as

    .. math::

        L \approx c_0 + c_1 x + c_2 x^2, \qquad x = \ln N,

    whose vertex :math:`x^* = -c_1 / (2 c_2)` gives :math:`N^*`; the tokens
    :math:`D^*` are read off the runs' own iso-curve (``ln D`` regressed linearly
    on ``ln N`` within the budget), which equals :math:`C / (6 N^*)` when the runs
    satisfy ``C = 6 N D`` exactly. A vertex outside the sampled sizes is never used
    silently: the budget is flagged ``NOT_BRACKETED``, left out of the power laws
    and warned about. The power laws are least squares in log-log space
    (:func:`~chinchilla_laws.fit_power_law`).

    **Bias.** The IsoFLOP curve of the Chinchilla law,
    :math:`L(x) = E + A e^{-\alpha x} + B (C/6)^{-\beta} e^{\beta x}`, is not a
    parabola: its third derivative at the optimum is
    :math:`K (\beta^2 - \alpha^2)` with :math:`K (\alpha + \beta)` the curvature. For
    sizes placed log-symmetrically around the optimum, the fitted vertex is shifted to
    leading order by

    .. math::

        \delta x^* \approx \frac{\alpha - \beta}{6} \frac{m_4}{m_2},

    with :math:`m_k` the sample moments of :math:`\ln(N / N_{opt})`; that is
    :math:`(\alpha - \beta) h^2 / 10` for sizes spread uniformly over
    :math:`\pm h`. A shift that is constant across budgets biases only the
    prefactor; an off-centre design, or one whose width or centring changes with
    ``C`` (a fixed grid of sizes for all budgets), biases the exponent too.
    :func:`isoflop_bias` measures it for a given design.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, §3.2. Llama Team (2024), "The Llama 3 Herd of Models",
    arXiv:2407.21783, §3.2.1. Besiroglu et al. (2024), "Chinchilla Scaling: A
    replication attempt", arXiv:2404.10102.

    Examples
    --------
    Runs sampled log-symmetrically around the optimum of the Hoffmann et al. law:

    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> from chinchilla_laws.isoflop import isoflop_minima
    >>> budgets = np.array([1e19, 1e20, 1e21, 1e22])
    >>> n_opt = HOFFMANN_2022_TEX.optimal(budgets).n_params
    >>> n = (n_opt[:, None] * np.exp(np.linspace(-1, 1, 7))).ravel()
    >>> c = np.repeat(budgets, 7)
    >>> d = c / (6 * n)
    >>> res = isoflop_minima(n, d, HOFFMANN_2022_TEX.loss(n, d))
    >>> print(f"a = {res.a:.6f} (law {HOFFMANN_2022_TEX.a:.6f}), b = {res.b:.6f}")
    a = 0.456526 (law 0.456526), b = 0.543474
    >>> print(res.budgets[0].status.name, f"N*/N_opt = {res.n_params[0] / n_opt[0]:.5f}")
    OK N*/N_opt = 1.00706
    """
    result, message = _isoflop_from_public(
        n_params,
        n_tokens,
        loss,
        compute=compute,
        budgets=budgets,
        budget_rtol=budget_rtol,
        flops_per_param_token=flops_per_param_token,
        against=against,
        weights=weights,
        robust=robust,
        robust_scale=robust_scale,
        include_flagged=include_flagged,
        min_points=min_points,
    )
    if message is not None:
        warnings.warn(message, IsoFLOPWarning, stacklevel=2)
    return result


def _isoflop_from_public(
    n_params: ArrayLike,
    n_tokens: ArrayLike | None,
    loss: ArrayLike | None,
    *,
    compute: ArrayLike | None,
    budgets: ArrayLike | None,
    budget_rtol: float,
    flops_per_param_token: float,
    against: Any,
    weights: ArrayLike | None,
    robust: Any,
    robust_scale: Any,
    include_flagged: Any,
    min_points: Any,
) -> tuple[IsoFLOPResult, str | None]:
    """Validate the public arguments, then run the method."""
    n = as_float_array(n_params, "n_params", positive=True, min_size=1)
    if loss is None:
        raise TypeError("`loss` is required: pass the final loss of each run.")
    y = as_float_array(loss, "loss")
    if (n_tokens is None) == (compute is None):
        got = "both" if n_tokens is not None else "neither"
        raise ValueError(f"exactly one of `n_tokens` and `compute` must be given; got {got}.")
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    rtol = as_fraction(budget_rtol, "budget_rtol")
    choice = as_choice(against, "against", ("n_params", "n_tokens"))
    side: Against = "n_params" if choice == "n_params" else "n_tokens"
    d_in = _optional_array(n_tokens, "n_tokens", positive=True)
    c_in = _optional_array(compute, "compute", positive=True)
    if d_in is not None:
        same_length(n_params=n, n_tokens=d_in, loss=y)
        d, c_run = d_in, k * n * d_in
    else:
        assert c_in is not None
        same_length(n_params=n, compute=c_in, loss=y)
        d, c_run = c_in / (k * n), c_in
    labels = _optional_array(budgets, "budgets", positive=True)
    if labels is not None:
        same_length(n_params=n, budgets=labels)
    w = np.ones(n.size) if weights is None else as_float_array(weights, "weights", nonnegative=True)
    same_length(n_params=n, weights=w)
    rob = as_bool(robust, "robust")
    scale = None if robust_scale is None else as_positive_scalar(robust_scale, "robust_scale")
    return _isoflop_core(
        n,
        d,
        y,
        c_run,
        labels,
        budget_rtol=rtol,
        k=k,
        against=side,
        w=w,
        robust=rob,
        robust_scale=scale,
        include_flagged=as_bool(include_flagged, "include_flagged"),
        min_points=as_int(min_points, "min_points", minimum=3),
    )


def isoflop_bias(
    law: ChinchillaLaw,
    n_params: ArrayLike,
    compute: ArrayLike,
    *,
    flops_per_param_token: float = 6.0,
    against: Against = "n_params",
    budget_rtol: float = 0.05,
    include_flagged: bool = False,
) -> IsoFLOPBias:
    r"""The bias of :func:`isoflop_minima` for a design, on noise-free data from ``law``.

    The runs ``(n_params[i], compute[i])`` of a planned (or past) IsoFLOP design are
    given the exact loss ``law(N, C / (k N))``; the method is applied and its vertices
    and exponents compared with the law's closed form (``law.optimal``).

    Parameters
    ----------
    law : ChinchillaLaw
        The law assumed to generate the losses.
    n_params, compute : array_like
        Model size and training FLOPs of each run (``C = k N D``, ``k`` 6 by default);
        runs are grouped into budgets by ``compute`` within ``budget_rtol``.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    against : {"n_params", "n_tokens"}, default "n_params"
        As in :func:`isoflop_minima`.
    budget_rtol : float, default 0.05
        As in :func:`isoflop_minima`.
    include_flagged : bool, default False
        As in :func:`isoflop_minima`.

    Returns
    -------
    IsoFLOPBias
        Per-budget ratios ``N*/N_opt``, ``D*/D_opt``, the loss excess, and the
        exponent biases ``a_bias = fit.a - law.a`` and ``b_bias = fit.b - law.b``.

    Warns
    -----
    IsoFLOPWarning
        When the design leaves budgets flagged (e.g. an unbracketed vertex).

    Notes
    -----
    For log-symmetric sizes around the optimum the leading-order shift of the vertex is
    :math:`\delta \ln N^* \approx (\alpha - \beta) m_4 / (6 m_2)` (see
    :func:`isoflop_minima`); this function gives the exact figure for any design.

    References
    ----------
    Hoffmann et al. (2022), arXiv:2203.15556, §3.2. Besiroglu et al. (2024),
    arXiv:2404.10102.

    Examples
    --------
    One fixed grid of sizes for every budget, as is common, biases the exponent:

    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> from chinchilla_laws.isoflop import isoflop_bias
    >>> budgets = np.array([1e20, 3e20, 1e21])
    >>> sizes = np.geomspace(2e8, 5e9, 9)
    >>> c = np.repeat(budgets, sizes.size)
    >>> n = np.tile(sizes, budgets.size)
    >>> bias = isoflop_bias(HOFFMANN_2022_TEX, n, c)
    >>> print(f"a_bias = {bias.a_bias:+.4f}")
    a_bias = -0.0101
    >>> print(np.round(bias.n_params_ratio, 3))
    [1.014 1.017 0.991]
    """
    if not isinstance(law, ChinchillaLaw):
        raise TypeError(f"`law` must be a ChinchillaLaw; got {type(law).__name__}.")
    n = as_float_array(n_params, "n_params", positive=True, min_size=1)
    c = as_float_array(compute, "compute", positive=True)
    same_length(n_params=n, compute=c)
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    y = law.loss(n, c / (k * n))
    fit, message = _isoflop_from_public(
        n,
        None,
        y,
        compute=c,
        budgets=None,
        budget_rtol=budget_rtol,
        flops_per_param_token=k,
        against=against,
        weights=None,
        robust=False,
        robust_scale=None,
        include_flagged=include_flagged,
        min_points=3,
    )
    if message is not None:
        warnings.warn(message, IsoFLOPWarning, stacklevel=2)
    true = law.optimal(fit.compute, flops_per_param_token=k)
    return IsoFLOPBias(
        law=law,
        fit=fit,
        compute=fit.compute.copy(),
        n_params_ratio=fit.n_params / true.n_params,
        n_tokens_ratio=fit.n_tokens / true.n_tokens,
        loss_excess=fit.loss - true.loss,
        a_bias=fit.a - law.a,
        b_bias=fit.b - law.b,
    )
