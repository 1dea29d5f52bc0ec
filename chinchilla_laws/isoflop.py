r"""IsoFLOP minima (Hoffmann et al. 2022, Approach 2).

For each FLOP budget the minimum of final loss against ``ln N`` (or ``ln D``) is
located; it is that budget's compute-optimal model, and power laws through the
minima give ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``. Three estimators of the minimum
(``vertex=``): the paper's global parabola, a parabola through the lowest-loss
run's neighbours, and an Akima spline. A lack-of-fit diagnostic tells when the
global parabola's vertex is biased by a lopsided or off-centre valley.
"""

from __future__ import annotations

import enum
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._constants import FLOPS_PER_PARAM_TOKEN
from ._typing import AnyArray, BoolArray, FloatArray, IntArray, freeze_arrays
from ._validation import (
    as_bool,
    as_choice,
    as_float_array,
    as_fraction,
    as_int,
    as_positive_scalar,
    same_length,
)
from ._warn import warn
from .laws import ChinchillaLaw, Frontier
from .powerlaw import PowerLaw, fit_power_law
from .result import Record, Result
from .warnings import IsoFLOPWarning

__all__ = [
    "IsoFLOPBias",
    "IsoFLOPBudget",
    "IsoFLOPResult",
    "IsoFLOPStatus",
    "VertexEstimates",
    "isoflop_bias",
    "isoflop_minima",
    "vertex_estimates",
]

Against = Literal["n_params", "n_tokens"]
Vertex = Literal["parabola", "local", "spline"]
PowerLawWeights = Literal["equal", "inverse_variance"]
VERTEX_ESTIMATORS: tuple[str, ...] = ("parabola", "local", "spline")

_HUBER_K = 1.345
"""Huber threshold in units of the robust residual scale (95% efficiency at the normal)."""
_MAD_TO_SIGMA = 1.482602218505602
_IRLS_MAX_ITER = 100

ASYMMETRY_LEVEL = 0.01
"""False-alarm rate of the asymmetry test over all of a sweep's budgets together."""
ASYMMETRY_SPACING_FRACTION = 0.05
"""Smallest disagreement that counts: this fraction of the budget's median log-size spacing."""
LABEL_FACTOR = 2.0
"""Budget labels off from the runs' ``k N D`` by this factor or more are reported."""
_AKIMA_BREAK = 1e-9
"""scipy's ``break_mult``: Akima weights below this fraction of the largest are ignored."""
NOISE_DRAWS = 200
"""Simulated draws of the noise model for the standard error of local and spline minima."""
_NOISE_SEED = 20240601


class IsoFLOPStatus(enum.Enum):
    """The outcome of one budget's fit; the value is the human message."""

    OK = "the vertex is a minimum bracketed by the sampled sizes"
    NOT_BRACKETED = "the vertex lies outside the sampled sizes (an extrapolated minimum)"
    NO_VALLEY = "the parabola has non-positive curvature (no minimum)"
    TOO_FEW_POINTS = (
        "too few points (fewer than `min_points` runs, 3 distinct sizes, or `window` sizes)"
    )
    ASYMMETRIC = (
        "the parabola's vertex disagrees with the local minimum by more than the noise "
        "explains (a lopsided or off-centre valley)"
    )


_USABLE = {IsoFLOPStatus.OK, IsoFLOPStatus.ASYMMETRIC}


class IsoFLOPResultStatus(enum.Enum):
    """The outcome of :func:`isoflop_minima` as a whole; the value is the message.

    Per-budget outcomes are :class:`IsoFLOPStatus` (``IsoFLOPBudget.status``).
    """

    SUCCESS = "power laws fitted through two or more usable budget minima"
    TOO_FEW_BUDGETS = "fewer than two usable budget minima: no power laws"


@dataclass(frozen=True, slots=True, kw_only=True)
class IsoFLOPBudget(Record):
    r"""The fit at one FLOP budget.

    Attributes
    ----------
    compute : float
        The budget ``C`` in FLOPs: the label when ``budgets`` was given, else the
        geometric mean of the runs' compute (``C = 6 N D`` unless ``compute`` was given).
    n_points : int
        Runs that entered the fit (those with positive weight).
    n_sizes : int
        Distinct values of the fitted coordinate among them.
    vertex : {"parabola", "local", "spline"}
        The estimator of the minimum that gave ``n_params``, ``n_tokens`` and ``loss``.
    coefficients : tuple of float
        ``(c0, c1, c2)`` of the global parabola through all the budget's runs,
        ``loss ≈ c0 + c1 x + c2 x**2`` with ``x = ln N`` (or ``ln D`` when fitted
        against tokens); natural logarithms. Computed for every estimator.
    n_params, n_tokens, loss : float
        The minimum ``N*``, ``D*`` and ``L*`` of the chosen estimator. The fitted
        coordinate is the minimum itself; the other is read off the runs' own
        iso-curve (``ln D`` regressed on ``ln N`` over the budget's runs), which is
        ``C / (6 N*)`` when every run has exactly ``C = 6 N D``. NaN when there is no
        valley or too few points.
    vertex_se : float
        Standard error of the natural log of the fitted coordinate at the minimum
        (``ln N*``, or ``ln D*`` against tokens), from the sweep's noise model (see
        :func:`isoflop_minima`, Notes). NaN when undefined.
    sampled_range : tuple of float
        Smallest and largest sampled value of the fitted coordinate (``N`` or ``D``).
    r_squared : float
        Coefficient of determination of the (weighted) global parabola; NaN when
        undefined.
    bracketed : bool
        Whether the chosen estimator's minimum is bracketed: inside ``sampled_range``
        for the parabola; not at the first or last size for ``"local"`` (the
        lowest-loss size) and ``"spline"`` (the spline's minimum).
    curvature : float
        ``d² loss / dx²`` of the chosen estimator at its minimum (``2 c2`` for the
        parabolas); a valley needs it positive.
    local_coefficients : tuple of float
        ``(c0, c1, c2)`` in ``x`` of the parabola through the local window (the
        lowest-loss size and its ``window - 1`` nearest neighbours in ``x``); the
        global parabola's when the budget has no more sizes than the window.
    window_range : tuple of float
        Smallest and largest size (``N`` or ``D``) in the local window.
    knots : tuple of tuple of float
        ``(x, loss)`` of the Akima spline (``x`` natural logs, runs of equal size
        combined by their weighted mean loss); empty unless ``vertex="spline"``.
    n_combined : int
        Runs merged into another of equal size for the spline (0 otherwise).
    asymmetry : float
        The diagnostic's disagreement ``Δ`` of the global parabola's vertex with
        the local parabola, to first order ``x*`` (parabola) minus ``x*`` (local)
        in natural-log units (see :func:`isoflop_minima`, Notes); NaN where the
        window holds every size or the parabola has no valley.
    asymmetry_se : float
        Its standard error under the noise model (0 on noise-free data).
    asymmetry_tolerance : float
        The disagreement that counts regardless of noise:
        ``ASYMMETRY_SPACING_FRACTION`` of the median spacing of the budget's
        distinct ``x``.
    status : IsoFLOPStatus
        ``OK``, ``ASYMMETRIC`` (parabola only), ``NOT_BRACKETED``, ``NO_VALLEY`` or
        ``TOO_FEW_POINTS``.
    """

    compute: float
    n_points: int
    n_sizes: int
    vertex: str
    coefficients: tuple[float, float, float]
    n_params: float
    n_tokens: float
    loss: float
    vertex_se: float
    sampled_range: tuple[float, float]
    r_squared: float
    bracketed: bool
    curvature: float
    local_coefficients: tuple[float, float, float]
    window_range: tuple[float, float]
    knots: tuple[tuple[float, ...], tuple[float, ...]]
    n_combined: int
    asymmetry: float
    asymmetry_se: float
    asymmetry_tolerance: float
    status: IsoFLOPStatus

    @property
    def ok(self) -> bool:
        """Whether the budget's status is ``OK``."""
        return self.status is IsoFLOPStatus.OK

    def curve(self, values: ArrayLike) -> FloatArray:
        """The chosen estimator's loss curve at sizes ``values`` (``N``, or ``D``).

        The global parabola for ``"parabola"``; the local parabola for ``"local"``
        (meaningful within ``window_range``); the Akima spline for ``"spline"``
        (NaN outside the sampled sizes). For figures.
        """
        x = np.log(np.asarray(values, dtype=np.float64))
        if self.vertex == "spline":
            if len(self.knots[0]) < 2:
                return np.full(x.shape, math.nan)
            from scipy.interpolate import Akima1DInterpolator

            spl = Akima1DInterpolator(np.asarray(self.knots[0]), np.asarray(self.knots[1]))
            out: FloatArray = np.asarray(spl(x), dtype=np.float64)
            return out
        c0, c1, c2 = self.local_coefficients if self.vertex == "local" else self.coefficients
        poly: FloatArray = c0 + c1 * x + c2 * x * x
        return poly


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class IsoFLOPResult(Result):
    r"""IsoFLOP minima and the power laws through them.

    Attributes
    ----------
    budgets : tuple of IsoFLOPBudget
        One fit per budget, in increasing order of compute.
    compute, n_params, n_tokens, loss : ndarray
        Per budget: ``C`` and the minimum ``N*``, ``D*``, ``L*`` (read-only).
    vertex_se : ndarray
        Per budget: standard error of ``ln N*`` (``ln D*`` against tokens).
    used : ndarray of bool
        Per budget: whether its minimum entered the power laws.
    run_budget : ndarray of int
        Per input run (input order): the index into ``budgets`` of its group.
    n_params_law, n_tokens_law : PowerLaw or None
        ``N_opt = k_N C^a`` and ``D_opt = k_D C^b`` fitted by (weighted) least
        squares in log-log space through the used minima; ``None`` with fewer than
        two.
    against : {"n_params", "n_tokens"}
        The coordinate each budget was fitted against.
    vertex : {"parabola", "local", "spline"}
        The estimator of each budget's minimum.
    window : int
        Sizes in the local window (used by ``"local"`` and by the diagnostic).
    power_law_weights : {"equal", "inverse_variance"}
        How the minima were weighted in the power-law fits.
    noise_sd : float
        The sweep's loss noise ``σ`` estimated from the local fits' residuals
        (pooled over budgets); NaN without residual degrees of freedom.
    noise_dof : int
        Its degrees of freedom.
    label_ratio : ndarray
        Per budget: median over its runs of ``k N D / C`` (or given compute over
        ``C``); about 1 when the budget labels follow the runs' FLOP convention.
    labels_consistent : bool
        False when the check of the labels against the runs failed (a factor
        ``LABEL_FACTOR`` or more off, or out of order); a warning says how.
    flops_per_param_token : float
        ``k`` of the compute convention ``C = k N D`` (6 by default).
    """

    budgets: tuple[IsoFLOPBudget, ...]
    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    loss: FloatArray
    vertex_se: FloatArray
    used: BoolArray
    run_budget: IntArray = field(repr=False)
    n_params_law: PowerLaw | None
    n_tokens_law: PowerLaw | None
    against: Against
    vertex: str
    window: int
    power_law_weights: str
    noise_sd: float
    noise_dof: int
    label_ratio: FloatArray
    labels_consistent: bool
    flops_per_param_token: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def status(self) -> IsoFLOPResultStatus:
        """``SUCCESS`` when both power laws could be fitted (two or more usable budgets)."""
        if self.n_params_law is None or self.n_tokens_law is None:
            return IsoFLOPResultStatus.TOO_FEW_BUDGETS
        return IsoFLOPResultStatus.SUCCESS

    @property
    def message(self) -> str:
        """One line: what was fitted, and what is flagged."""
        usable = int(self.used.sum())
        if self.success:
            parts = [f"power laws through {usable} of {len(self.budgets)} budget minima"]
        else:
            parts = [f"no power laws: {usable} usable budget(s) of {len(self.budgets)}"]
        parts[0] += f" ({self.vertex})"
        if self.asymmetric:
            parts.append(
                f"{len(self.asymmetric)} ASYMMETRIC (use vertex='local' or vertex='spline')"
            )
        other = [b for b in self.flagged if b.status is not IsoFLOPStatus.ASYMMETRIC]
        if other:
            parts.append(
                f"{len(other)} flagged ({', '.join(sorted({b.status.name for b in other}))})"
            )
        if not self.labels_consistent:
            parts.append("budget labels disagree with the runs")
        return "; ".join(parts) + "."

    def summary(self) -> str:
        """A readable multi-line report: the per-budget table and the power laws."""
        from .report import isoflop_text

        return f"{isoflop_text(self)}\n  {self.status.name}: {self.message}"

    def _repr_markdown_(self) -> str:
        from .report import code_markdown

        return code_markdown(self.summary())

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

    @property
    def asymmetric(self) -> tuple[IsoFLOPBudget, ...]:
        """The budgets whose status is ``ASYMMETRIC``."""
        return tuple(b for b in self.budgets if b.status is IsoFLOPStatus.ASYMMETRIC)

    def optimal(self, compute: ArrayLike) -> Frontier:
        """The :class:`Frontier` at budgets ``compute`` (FLOPs) from the power laws.

        ``n_params`` and ``n_tokens`` are ``k_N C^a`` and ``k_D C^b``; the power laws
        predict no loss, so ``loss`` is NaN. ``compute`` follows the result's
        convention, ``C = k N D`` with ``k = flops_per_param_token`` (6 by default).
        Raises ``ValueError`` when the power laws could not be fitted.
        """
        c = as_float_array(np.atleast_1d(np.asarray(compute)), "compute", positive=True)
        if self.n_params_law is None or self.n_tokens_law is None:
            raise ValueError(
                "`compute` cannot be mapped to an optimum: the result has no power laws "
                f"(fewer than 2 usable budgets out of {len(self.budgets)})."
            )
        return Frontier(
            compute=c,
            n_params=self.n_params_law(c),
            n_tokens=self.n_tokens_law(c),
            loss=np.full(c.shape, np.nan),
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class IsoFLOPBias(Result):
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
        Per budget: fitted minimum over the law's true optimum, ``N*/N_opt`` and
        ``D*/D_opt`` (1 means unbiased; NaN for budgets without a minimum).
    loss_excess : ndarray
        Per budget: ``L* - L_opt`` (the estimator's minimum loss minus the true
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
        freeze_arrays(self)

    @property
    def status(self) -> IsoFLOPResultStatus:
        """The status of :attr:`fit` (``TOO_FEW_BUDGETS``: no power laws, no ``a_bias``)."""
        return self.fit.status

    @property
    def message(self) -> str:
        return f"a bias {self.a_bias:.6g}, b bias {self.b_bias:.6g}; fit: {self.fit.message}"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VertexEstimates(Record):
    """Minima of many IsoFLOP curves at once (:func:`vertex_estimates`).

    Attributes
    ----------
    log_vertex : ndarray, shape (m,)
        Natural log of the size at each curve's minimum (NaN without a valley).
    loss : ndarray, shape (m,)
        The estimator's loss at its minimum.
    curvature : ndarray, shape (m,)
        ``d² loss / d(ln size)²`` at the minimum.
    bracketed : ndarray of bool, shape (m,)
        As :attr:`IsoFLOPBudget.bracketed`.
    valley : ndarray of bool, shape (m,)
        Whether the estimator found a minimum (positive curvature for the parabolas).
    vertex : str
        The estimator.
    """

    log_vertex: FloatArray
    loss: FloatArray
    curvature: FloatArray
    bracketed: BoolArray
    valley: BoolArray
    vertex: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def status(self) -> list[IsoFLOPStatus]:
        """Per curve: ``OK``, ``NOT_BRACKETED`` or ``NO_VALLEY``."""
        return [
            IsoFLOPStatus.NO_VALLEY
            if not v
            else (IsoFLOPStatus.OK if b else IsoFLOPStatus.NOT_BRACKETED)
            for v, b in zip(self.valley.tolist(), self.bracketed.tolist(), strict=True)
        ]


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


@dataclass(frozen=True, slots=True)
class _Quad:
    """A (weighted) parabola in ``x`` with its vertex and the vertex's gradient in ``y``."""

    coefficients: tuple[float, float, float]  # in x: c0 + c1 x + c2 x^2
    x_star: float  # NaN without a valley
    loss: float
    curvature: float  # 2 c2
    grad: FloatArray  # d x_star / d y_i (NaN without a valley)
    rss: float  # weighted residual sum of squares
    dof: int
    r_squared: float
    centre: float
    half: float
    t_star: float
    hat: FloatArray  # (3, n): coefficients in t = (x - centre) / half are hat @ y

    def slope_gradient(self, x0: float) -> FloatArray:
        """Gradient in ``y`` of the fitted slope ``d loss / dx`` at ``x0``."""
        t0 = (x0 - self.centre) / self.half
        out: FloatArray = (self.hat[1] + 2.0 * t0 * self.hat[2]) / self.half
        return out

    def slope(self, x0: float) -> float:
        """The fitted slope ``d loss / dx`` at ``x0``."""
        _, c1, c2 = self.coefficients
        return c1 + 2.0 * c2 * x0


def _quad(
    x: FloatArray, y: FloatArray, w: FloatArray, robust: bool, robust_scale: float | None
) -> _Quad:
    """Parabola through ``(x, y)`` (at least 3 distinct ``x``), vertex and its gradient."""
    centre = 0.5 * (float(x.min()) + float(x.max()))
    half = 0.5 * (float(x.max()) - float(x.min()))
    t = (x - centre) / half
    (b0, b1, b2), w_eff = _fit_parabola(t, y, w, robust, robust_scale)
    c2 = b2 / half**2
    c1 = b1 / half - 2.0 * c2 * centre
    c0 = b0 - b1 * centre / half + b2 * centre**2 / half**2
    fitted = b0 + b1 * t + b2 * t * t
    resid = y - fitted
    wsum = float(w_eff.sum())
    ybar = float(w_eff @ y) / wsum
    ss_tot = float(w_eff @ (y - ybar) ** 2)
    rss = float(w_eff @ resid**2)
    r2 = 1.0 - rss / ss_tot if ss_tot > 0 else math.nan
    nan = math.nan
    # hat matrix of the weighted fit: coefficients = hat @ y
    design = np.column_stack([np.ones_like(t), t, t * t])
    wd = design * w_eff[:, None]
    hat: FloatArray = np.asarray(np.linalg.solve(design.T @ wd, wd.T), dtype=np.float64)
    if not b2 > 0:
        grad = np.full(x.size, nan)
        return _Quad(
            (c0, c1, c2), nan, nan, 2.0 * c2, grad, rss, x.size - 3, r2, centre, half, nan, hat
        )
    t_star = -b1 / (2.0 * b2)
    jac = np.array([0.0, -1.0 / (2.0 * b2), b1 / (2.0 * b2 * b2)])
    grad = half * (jac @ hat)
    return _Quad(
        (c0, c1, c2),
        centre + half * t_star,
        b0 - b1 * b1 / (4.0 * b2),
        2.0 * c2,
        grad,
        rss,
        x.size - 3,
        r2,
        centre,
        half,
        t_star,
        hat,
    )


def _combine(x: FloatArray, y: FloatArray, w: FloatArray) -> tuple[AnyArray, ...]:
    """Distinct ``x`` (sorted), weighted mean ``y``, summed weights, and each run's index."""
    xs, inverse = np.unique(x, return_inverse=True)
    inverse = inverse.reshape(-1)
    wsum = np.bincount(inverse, weights=w, minlength=xs.size)
    ys = np.bincount(inverse, weights=w * y, minlength=xs.size) / wsum
    return xs, ys, wsum, inverse


def _window_start(xs: FloatArray, best: IntArray, window: int) -> IntArray:
    """First index of the ``window`` sizes nearest (in ``x``) to ``xs[..., best]``.

    ``xs`` has shape (m, k), sorted along the last axis; ties go to the smaller size.
    """
    k = xs.shape[-1]
    rows = np.arange(xs.shape[0])
    lo = best.copy()
    hi = best.copy()
    x0 = xs[rows, best]
    for _ in range(window - 1):
        can_left = lo > 0
        can_right = hi < k - 1
        d_left = np.where(can_left, x0 - xs[rows, np.maximum(lo - 1, 0)], np.inf)
        d_right = np.where(can_right, xs[rows, np.minimum(hi + 1, k - 1)] - x0, np.inf)
        go_left = d_left <= d_right
        lo = np.where(go_left, lo - 1, lo)
        hi = np.where(go_left, hi, hi + 1)
    return lo


def _akima_coefficients(x: FloatArray, y: FloatArray) -> FloatArray:
    """Piecewise-cubic coefficients of scipy's ``Akima1DInterpolator`` (method "akima").

    ``x`` (k,) or (m, k) strictly increasing, ``y`` (m, k), ``k >= 3``. Returns
    ``c`` of shape (m, 4, k - 1) with scipy's ``PPoly`` layout: on
    ``[x_j, x_{j+1}]``, ``p = c0 s^3 + c1 s^2 + c2 s + c3`` with ``s = x - x_j``.
    """
    k = y.shape[-1]
    dx = np.diff(np.broadcast_to(x, y.shape), axis=-1)
    m = np.empty((*y.shape[:-1], k + 3))
    m[..., 2:-2] = np.diff(y, axis=-1) / dx
    m[..., 1] = 2.0 * m[..., 2] - m[..., 3]
    m[..., 0] = 2.0 * m[..., 1] - m[..., 2]
    m[..., -2] = 2.0 * m[..., -3] - m[..., -4]
    m[..., -1] = 2.0 * m[..., -2] - m[..., -3]
    dm = np.abs(np.diff(m, axis=-1))
    f1 = dm[..., 2:]
    f2 = dm[..., :-2]
    f12 = f1 + f2
    defined = f12 > _AKIMA_BREAK * f12.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = m[..., 1:-2] + (f2 / f12) * (m[..., 2:-1] - m[..., 1:-2])
    slope = np.where(defined, weighted, 0.5 * (m[..., 3:] + m[..., :-3]))
    t0, t1 = slope[..., :-1], slope[..., 1:]
    secant = m[..., 2:-2]
    c = np.empty((*y.shape[:-1], 4, k - 1))
    c[..., 0, :] = (t0 + t1 - 2.0 * secant) / dx**2
    c[..., 1, :] = (3.0 * secant - 2.0 * t0 - t1) / dx
    c[..., 2, :] = t0
    c[..., 3, :] = y[..., :-1]
    return c


def _cubic_min(
    x: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Global minimum of piecewise cubics ``c`` (m, 4, k-1) on knots ``x`` ((k,) or (m, k)).

    Returns ``(x_min, p_min, second_derivative, at_edge)`` per row; the minimum is
    exact (roots of each piece's derivative, plus the knots).
    """
    m_rows, _, pieces = c.shape
    xk = np.broadcast_to(x, (m_rows, pieces + 1))
    h = np.diff(xk, axis=-1)
    a3, a2, a1, a0 = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
    # p'(s) = 3 a3 s^2 + 2 a2 s + a1: the two roots by the stable quadratic formula
    qa, qb, qc = 3.0 * a3, 2.0 * a2, a1
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        q = -0.5 * (qb + np.copysign(sq, qb))
        r1 = q / qa
        r2 = qc / q
        linear = -qc / qb  # a3 == 0
    roots = np.stack([np.where(qa == 0, linear, r1), np.where(qa == 0, np.nan, r2)])
    inside = (roots > 0) & (roots < h[None])
    s = np.where(inside, roots, np.nan)
    p = a0[None] + s * (a1[None] + s * (a2[None] + s * a3[None]))
    # candidates: interior critical points of each piece, then every knot
    knot_vals = np.concatenate([a0, (a0 + h * (a1 + h * (a2 + h * a3)))[:, -1:]], axis=-1)
    cand_val = np.concatenate([p[0], p[1], knot_vals], axis=-1)
    cand_x = np.concatenate([xk[:, :-1] + s[0], xk[:, :-1] + s[1], xk], axis=-1)
    cand_piece = np.concatenate(
        [np.arange(pieces), np.arange(pieces), np.minimum(np.arange(pieces + 1), pieces - 1)]
    )
    cand_val = np.where(np.isnan(cand_val), np.inf, cand_val)
    best = np.argmin(cand_val, axis=-1)
    rows = np.arange(m_rows)
    x_min = cand_x[rows, best]
    p_min = cand_val[rows, best]
    j = cand_piece[best]
    s_min = x_min - xk[rows, j]
    curv = 2.0 * a2[rows, j] + 6.0 * a3[rows, j] * s_min
    at_edge = (x_min <= xk[:, 0]) | (x_min >= xk[:, -1])
    return x_min, p_min, curv, at_edge


def _batch_quad(x: FloatArray, y: FloatArray, w: FloatArray | None = None) -> tuple[AnyArray, ...]:
    """Weighted least-squares parabolas through each row of ``(x, y)`` (m, k).

    Returns the vertex ``x*``, its loss, the curvature ``2 c2``, whether there is a
    valley, and ``t*`` (the vertex on the row's ``[-1, 1]`` scale).
    """
    centre = 0.5 * (x.max(axis=-1, keepdims=True) + x.min(axis=-1, keepdims=True))
    half = 0.5 * (x.max(axis=-1, keepdims=True) - x.min(axis=-1, keepdims=True))
    t = (x - centre) / half
    design = np.stack([np.ones_like(t), t, t * t], axis=-1)  # (m, k, 3)
    wd = design if w is None else design * np.broadcast_to(w, y.shape)[..., None]
    gram = np.einsum("mki,mkj->mij", wd, design)
    rhs = np.einsum("mki,mk->mi", wd, y)
    b = np.linalg.solve(gram, rhs[..., None])[..., 0]
    b0, b1, b2 = b[:, 0], b[:, 1], b[:, 2]
    valley = b2 > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        t_star = np.where(valley, -b1 / (2.0 * b2), np.nan)
        loss = np.where(valley, b0 - b1 * b1 / (4.0 * b2), np.nan)
    c, h = centre[:, 0], half[:, 0]
    return c + h * t_star, loss, 2.0 * b2 / h**2, valley, t_star


def _batch_local(
    x: FloatArray, y: FloatArray, w: FloatArray | None, window: int
) -> tuple[AnyArray, ...]:
    """Local parabolas (``window`` sizes around each row's lowest loss), rows of (m, k).

    Returns ``x*``, its loss, the curvature, valley, and bracketed (lowest loss not
    at the first or last size).
    """
    k = y.shape[-1]
    best = np.argmin(y, axis=-1)
    xb = np.ascontiguousarray(np.broadcast_to(x, y.shape))
    lo = _window_start(xb, best, window)
    cols = lo[:, None] + np.arange(window)[None, :]
    wc = None if w is None else np.take_along_axis(np.broadcast_to(w, y.shape), cols, axis=-1)
    xv, lv, curv, valley, _ = _batch_quad(
        np.take_along_axis(xb, cols, axis=-1), np.take_along_axis(y, cols, axis=-1), wc
    )
    return xv, lv, curv, valley, valley & (best > 0) & (best < k - 1)


def _spline_min(x: FloatArray, y: FloatArray) -> tuple[AnyArray, ...]:
    """Minimum of the Akima spline through each row of ``(x, y)``."""
    coef = _akima_coefficients(x, y)
    return _cubic_min(x, coef)


@dataclass(slots=True)
class _Budget:
    """One budget's fit before the sweep-wide noise estimate (internal, mutable)."""

    fields: dict[str, Any]
    status: IsoFLOPStatus
    unit_se: float  # vertex standard error per unit noise sd
    asym_unit_se: float  # standard error of the asymmetry per unit noise sd
    rss: float  # residual sum of squares of the local fit (0 dof: not counted)
    dof: int
    combined: tuple[FloatArray, FloatArray, FloatArray] | None = None  # xs, ys, weights
    global_rss: float = 0.0  # the same for the global parabola
    global_dof: int = 0


def _fit_budget(
    x: FloatArray,
    other: FloatArray,
    y: FloatArray,
    w: FloatArray,
    compute: float,
    *,
    against: Against,
    vertex: str,
    window: int,
    robust: bool,
    robust_scale: float | None,
    min_points: int,
    spline: tuple[float, float, float, bool] | None = None,
) -> _Budget:
    """One budget: ``x`` the fitted log-coordinate, ``other`` the log of the other one.

    ``spline`` is the precomputed ``(x*, L*, curvature, at_edge)`` of the budget's
    Akima spline (all budgets are batched), required for ``vertex="spline"``.
    """
    keep = w > 0
    x, other, y, w = x[keep], other[keep], y[keep], w[keep]
    n = int(x.size)
    nan = math.nan
    sampled = (float(np.exp(x.min())), float(np.exp(x.max()))) if n else (nan, nan)
    xs, ys, wsum, inverse = _combine(x, y, w) if n else (np.empty(0),) * 4
    n_sizes = int(xs.size)
    base: dict[str, Any] = {
        "compute": compute,
        "n_points": n,
        "n_sizes": n_sizes,
        "vertex": vertex,
        "sampled_range": sampled,
        "knots": ((), ()),
        "n_combined": 0,
    }
    empty: dict[str, Any] = {
        "coefficients": (nan, nan, nan),
        "n_params": nan,
        "n_tokens": nan,
        "loss": nan,
        "r_squared": nan,
        "bracketed": False,
        "curvature": nan,
        "local_coefficients": (nan, nan, nan),
        "window_range": (nan, nan),
        "asymmetry": nan,
        "asymmetry_tolerance": nan,
    }
    if n < min_points or n_sizes < 3 or (vertex == "local" and n_sizes < window):
        return _Budget(base | empty, IsoFLOPStatus.TOO_FEW_POINTS, nan, nan, 0.0, 0)
    glob = _quad(x, y, w, robust, robust_scale)
    best = int(np.argmin(ys))
    if n_sizes > window:
        lo = int(_window_start(xs[None, :], np.array([best]), window)[0])
        in_win = (inverse >= lo) & (inverse < lo + window)
        loc = _quad(x[in_win], y[in_win], w[in_win], robust, robust_scale)
        loc_grad = np.zeros(n)
        loc_grad[in_win] = loc.grad
        win_range = (float(np.exp(xs[lo])), float(np.exp(xs[lo + window - 1])))
    else:
        loc, loc_grad, win_range = glob, glob.grad, sampled
    tolerance = ASYMMETRY_SPACING_FRACTION * float(np.median(np.diff(xs)))
    asym = asym_se = nan
    if loc is not glob and math.isfinite(glob.x_star):
        # the local fit's slope at the parabola's vertex, in ln-size units of the
        # parabola's curvature: the first-order disagreement of the two minima
        slope_grad = np.zeros(n)
        slope_grad[in_win] = loc.slope_gradient(glob.x_star)
        asym = loc.slope(glob.x_star) / glob.curvature
        asym_se = float(np.sqrt(np.sum((slope_grad / glob.curvature + glob.grad) ** 2 / w)))
    fields = base | {
        "coefficients": glob.coefficients,
        "r_squared": glob.r_squared,
        "local_coefficients": loc.coefficients,
        "window_range": win_range,
        "asymmetry": asym,
        "asymmetry_tolerance": tolerance,
    }
    unit_se = nan
    if vertex == "spline":
        assert spline is not None
        x_star, l_star, curv, edge = spline
        bracketed = not edge
        valley = True
        fields["knots"] = (tuple(xs.tolist()), tuple(ys.tolist()))
        fields["n_combined"] = n - n_sizes
    else:
        est = glob if vertex == "parabola" else loc
        x_star, l_star, curv = est.x_star, est.loss, est.curvature
        valley = math.isfinite(x_star)
        if vertex == "parabola":
            bracketed = valley and -1.0 <= est.t_star <= 1.0
        else:
            bracketed = valley and 0 < best < n_sizes - 1
        if valley and vertex == "parabola":
            unit_se = float(np.sqrt(np.sum(glob.grad**2 / w)))
    fields["curvature"] = curv
    fields["bracketed"] = bracketed
    if not valley:
        fields |= {"n_params": nan, "n_tokens": nan, "loss": nan}
        return _Budget(
            fields,
            IsoFLOPStatus.NO_VALLEY,
            nan,
            asym_se,
            loc.rss,
            loc.dof,
            None,
            glob.rss,
            glob.dof,
        )
    # the other coordinate from the runs' own iso-curve: ln(other) linear in ln(x)
    slope, intercept = np.polyfit((x - glob.centre) / glob.half, other, 1)
    o_star = intercept + slope * (x_star - glob.centre) / glob.half
    v_star, v_other = math.exp(x_star), math.exp(o_star)
    n_star, d_star = (v_star, v_other) if against == "n_params" else (v_other, v_star)
    fields |= {"n_params": n_star, "n_tokens": d_star, "loss": l_star}
    status = IsoFLOPStatus.OK if bracketed else IsoFLOPStatus.NOT_BRACKETED
    combined = (xs, ys, wsum) if vertex != "parabola" and bracketed else None
    return _Budget(fields, status, unit_se, asym_se, loc.rss, loc.dof, combined, glob.rss, glob.dof)


def _simulated_se(
    vertex: str,
    combined: list[tuple[FloatArray, FloatArray, FloatArray]],
    sigma: float,
    window: int,
) -> FloatArray:
    """Standard errors of local or spline minima by simulation of the noise model.

    ``NOISE_DRAWS`` copies of each budget's (combined) losses, each with fresh noise
    of sd ``sigma / sqrt(weight)``, go through the batched estimator; a standard
    error is the standard deviation of a budget's simulated minima (draws without a
    valley left out; NaN when more than half have none). Budgets with equally many
    sizes share one batch and one set of draws (fixed seed: results repeat).
    """
    out = np.full(len(combined), math.nan)
    if not sigma > 0:
        return out if math.isnan(sigma) else np.zeros(len(combined))
    by_size: dict[int, list[int]] = {}
    for i, (xs, _, _) in enumerate(combined):
        by_size.setdefault(int(xs.size), []).append(i)
    for k, members in by_size.items():
        noise = np.random.default_rng(_NOISE_SEED).standard_normal((NOISE_DRAWS, k))
        xs = np.stack([combined[i][0] for i in members])
        ys = np.stack([combined[i][1] for i in members])
        ws = np.stack([combined[i][2] for i in members])
        draws = ys[:, None, :] + sigma * noise[None, :, :] / np.sqrt(ws)[:, None, :]
        xb = np.repeat(xs, NOISE_DRAWS, axis=0)
        flat = draws.reshape(-1, k)
        if vertex == "local":
            wb = np.repeat(ws, NOISE_DRAWS, axis=0)
            xv, _, _, valley, _ = _batch_local(xb, flat, wb, window)
        else:
            xv, *_ = _spline_min(xb, flat)
            valley = np.isfinite(xv)
        xv = np.where(valley, xv, np.nan).reshape(len(members), NOISE_DRAWS)
        enough = np.sum(np.isfinite(xv), axis=1) >= NOISE_DRAWS // 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sd = np.nanstd(xv, axis=1, ddof=1)
        out[members] = np.where(enough, sd, math.nan)
    return out


def _batched_splines(
    xs_list: list[FloatArray], yw_list: list[tuple[FloatArray, FloatArray]]
) -> list[tuple[float, float, float, bool] | None]:
    """Minima of every budget's Akima spline, budgets with equally many sizes in one batch."""
    out: list[tuple[float, float, float, bool] | None] = [None] * len(xs_list)
    by_size: dict[int, list[tuple[int, FloatArray, FloatArray]]] = {}
    for g, (x, (y, w)) in enumerate(zip(xs_list, yw_list, strict=True)):
        if x.size:
            xs, ys, _, _ = _combine(x, y, w)
            if xs.size >= 3:
                by_size.setdefault(int(xs.size), []).append((g, xs, ys))
    for group in by_size.values():
        xm, lm, cm, edge = _spline_min(
            np.stack([xs for _, xs, _ in group]), np.stack([ys for _, _, ys in group])
        )
        for j, (g, _, _) in enumerate(group):
            out[g] = (float(xm[j]), float(lm[j]), float(cm[j]), bool(edge[j]))
    return out


def _check_labels(
    c_run: FloatArray, run_budget: IntArray, centres: FloatArray, what: str
) -> tuple[FloatArray, str | None]:
    """Per-budget ratio of the runs' FLOPs to their label, and a message if gross."""
    ratio_run = c_run / centres[run_budget]
    groups = [run_budget == g for g in range(centres.size)]
    ratio = np.array([float(np.median(ratio_run[sel])) for sel in groups])
    problems = []
    med = float(np.median(ratio_run))
    if abs(math.log(med)) >= math.log(LABEL_FACTOR):
        problems.append(f"on the median the runs' {what} is {med:.3g} × their budget label")
    log_ratio = np.abs(np.log(ratio))
    worst = int(np.argmax(log_ratio))
    if log_ratio[worst] >= math.log(LABEL_FACTOR):
        problems.append(
            f"the worst budget is C={centres[worst]:.4g}, whose runs have {ratio[worst]:.3g} × "
            "the label"
        )
    typical = np.array([math.exp(float(np.median(np.log(c_run[sel])))) for sel in groups])
    disorder = np.flatnonzero(np.diff(typical) <= 0)
    if disorder.size:
        g = int(disorder[0])
        problems.append(
            f"the labels are out of order with the runs: budget C={centres[g]:.4g} has runs "
            f"at {typical[g]:.4g} FLOPs but the larger budget C={centres[g + 1]:.4g} has runs "
            f"at {typical[g + 1]:.4g}"
        )
    if not problems:
        return ratio, None
    return ratio, (
        f"The budget labels disagree with the runs' {what}: " + "; ".join(problems) + ". Check "
        "`budgets` and `flops_per_param_token` (labels are training FLOPs of each run)."
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
    vertex: str = "parabola",
    window: int = 5,
    power_law_weights: str = "equal",
    compute_given: bool = False,
) -> tuple[IsoFLOPResult, str | None]:
    """The method on validated arrays; returns the result and a warning message (or None)."""
    messages = []
    if labels is None:
        run_budget, centres = _group_by_compute(c_run, budget_rtol)
        label_ratio, _ = _check_labels(c_run, run_budget, centres, "compute")
        labels_ok = True
    else:
        centres, inverse = np.unique(labels, return_inverse=True)
        run_budget = np.asarray(inverse, dtype=np.int64).reshape(-1)
        what = "compute" if compute_given else f"{k:g}·N·D"
        label_ratio, label_message = _check_labels(c_run, run_budget, centres, what)
        labels_ok = label_message is None
        if label_message is not None:
            messages.append(label_message)
    ln_n, ln_d = np.log(n), np.log(d)
    x_all, o_all = (ln_n, ln_d) if against == "n_params" else (ln_d, ln_n)
    order = np.argsort(run_budget, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(run_budget, minlength=centres.size))[:-1])
    if vertex == "local":
        sizes = [np.unique(x_all[m][w[m] > 0]).size for m in members]
        if max(sizes) < window:
            raise ValueError(
                f"`window` must not exceed the distinct sizes of a budget; got {window}, but "
                f"the budgets have at most {max(sizes)} distinct sizes."
            )
    splines: list[tuple[float, float, float, bool] | None] = [None] * centres.size
    if vertex == "spline":
        splines = _batched_splines(
            [x_all[m][w[m] > 0] for m in members],
            [(y[m][w[m] > 0], w[m][w[m] > 0]) for m in members],
        )
    fits = [
        _fit_budget(
            x_all[members[g]],
            o_all[members[g]],
            y[members[g]],
            w[members[g]],
            float(cg),
            spline=splines[g],
            against=against,
            vertex=vertex,
            window=window,
            robust=robust,
            robust_scale=robust_scale,
            min_points=min_points,
        )
        for g, cg in enumerate(centres)
    ]
    # the sweep's noise: local fits' residuals pooled over budgets (the global
    # parabolas' when the local fits have no residual degrees of freedom)
    dof = sum(f.dof for f in fits if f.dof > 0)
    rss = sum(f.rss for f in fits if f.dof > 0)
    if dof == 0:
        dof = sum(f.global_dof for f in fits if f.global_dof > 0)
        rss = sum(f.global_rss for f in fits if f.global_dof > 0)
    sigma = math.sqrt(rss / dof) if dof > 0 else math.nan
    testable = [
        f for f in fits if math.isfinite(f.fields["asymmetry"]) and math.isfinite(f.asym_unit_se)
    ]
    quantile = math.nan
    if testable and dof > 0:
        from scipy.stats import t as student_t

        quantile = float(student_t.ppf(1.0 - ASYMMETRY_LEVEL / (2 * len(testable)), dof))
    simulated = {i: f.combined for i, f in enumerate(fits) if f.combined is not None}
    sim_se = _simulated_se(vertex, list(simulated.values()), sigma, window)
    se_of = dict(zip(simulated, sim_se.tolist(), strict=True))
    budgets = []
    for i, f in enumerate(fits):
        asym, tol = f.fields["asymmetry"], f.fields["asymmetry_tolerance"]
        asym_se = sigma * f.asym_unit_se
        status = f.status
        if (
            vertex == "parabola"
            and status is IsoFLOPStatus.OK
            and math.isfinite(asym)
            and math.isfinite(asym_se)
            and abs(asym) > tol
            and abs(asym) > quantile * asym_se
        ):
            status = IsoFLOPStatus.ASYMMETRIC
        se = se_of.get(i, sigma * f.unit_se)
        budgets.append(IsoFLOPBudget(**f.fields, vertex_se=se, asymmetry_se=asym_se, status=status))
    allowed = _USABLE | ({IsoFLOPStatus.NOT_BRACKETED} if include_flagged else set())
    used = np.array([b.status in allowed for b in budgets], dtype=np.bool_)
    compute = np.array([b.compute for b in budgets])
    n_star = np.array([b.n_params for b in budgets])
    d_star = np.array([b.n_tokens for b in budgets])
    l_star = np.array([b.loss for b in budgets])
    vertex_se = np.array([b.vertex_se for b in budgets])
    n_law = d_law = None
    n_used = int(used.sum())
    if n_used >= 2:
        pw = None
        if power_law_weights == "inverse_variance":
            missing = used & ~np.isfinite(vertex_se)
            if missing.any():
                raise ValueError(
                    "`power_law_weights`='inverse_variance' needs a standard error for every "
                    f"used budget; C={compute[missing][0]:.4g} has none (an unbracketed spline "
                    "minimum, or no residual degrees of freedom for the noise); leave out "
                    "`include_flagged`, add runs, or use equal weights."
                )
            se_used = vertex_se[used]
            # noise-free data (every standard error 0): equal weights, the limit
            pw = 1.0 / se_used**2 if np.all(se_used > 0) else None
        n_law = fit_power_law(compute[used], n_star[used], weights=pw)
        d_law = fit_power_law(compute[used], d_star[used], weights=pw)
    flagged = [b for b in budgets if b.status not in _USABLE]
    if flagged:
        listing = "; ".join(f"C={b.compute:.4g}: {b.status.value}" for b in flagged)
        action = (
            "unbracketed ones included in the power laws, the others left out"
            if include_flagged
            else "left out of the power laws"
        )
        messages.append(
            f"{len(flagged)} of {len(budgets)} IsoFLOP budgets flagged ({action}): {listing}."
        )
    lopsided = [b for b in budgets if b.status is IsoFLOPStatus.ASYMMETRIC]
    if lopsided:
        listing = ", ".join(
            f"C={b.compute:.4g} ({b.asymmetry:+.3g} in ln size, "
            + (
                f"{abs(b.asymmetry) / b.asymmetry_se:.3g} standard errors)"
                if b.asymmetry_se > 0
                else "noise-free)"
            )
            for b in lopsided
        )
        messages.append(
            f"{len(lopsided)} of {len(budgets)} IsoFLOP budgets ASYMMETRIC: the parabola's vertex "
            f"disagrees with the local minimum by more than the noise explains at {listing}; "
            "the parabola is biased there (kept in the power laws): use vertex='local' or "
            "vertex='spline'."
        )
    if n_used < 2:
        messages.append(
            f"Only {n_used} usable budget(s) of {len(budgets)}: no power laws were fitted "
            "(`n_params_law` and `n_tokens_law` are None)."
        )
    result = IsoFLOPResult(
        budgets=tuple(budgets),
        compute=compute,
        n_params=n_star,
        n_tokens=d_star,
        loss=l_star,
        vertex_se=vertex_se,
        used=used,
        run_budget=run_budget,
        n_params_law=n_law,
        n_tokens_law=d_law,
        against=against,
        vertex=vertex,
        window=window,
        power_law_weights=power_law_weights,
        noise_sd=sigma,
        noise_dof=dof,
        label_ratio=label_ratio,
        labels_consistent=labels_ok,
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
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    against: Against = "n_params",
    weights: ArrayLike | None = None,
    robust: bool = False,
    robust_scale: float | None = None,
    include_flagged: bool = False,
    min_points: int = 3,
    vertex: Vertex = "parabola",
    window: int = 5,
    power_law_weights: PowerLawWeights = "equal",
) -> IsoFLOPResult:
    r"""Fit IsoFLOP minima and power laws through them (Approach 2).

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
    vertex : {"parabola", "local", "spline"}, default "parabola"
        How each budget's minimum is estimated:

        * ``"parabola"``: the vertex of a (weighted) parabola through all the
          budget's runs (Hoffmann et al.; Llama 3);
        * ``"local"``: the vertex of a parabola through the runs at the size with
          the lowest (mean) loss and its ``window - 1`` nearest neighbours in
          ``ln N``; a budget whose lowest-loss size is its first or last is
          ``NOT_BRACKETED``, one with fewer than ``window`` sizes ``TOO_FEW_POINTS``;
        * ``"spline"``: the minimum of an Akima spline of loss against ``ln N``
          (:class:`scipy.interpolate.Akima1DInterpolator`; runs of equal size are
          first combined by their weighted mean loss, counted in
          ``IsoFLOPBudget.n_combined``), found exactly from the roots of each
          piece's derivative; a minimum at the first or last size is
          ``NOT_BRACKETED``.
    window : int, default 5
        Distinct sizes in the local window (odd, at least 3), for ``"local"`` and for
        the asymmetry diagnostic.
    power_law_weights : {"equal", "inverse_variance"}, default "equal"
        Weights of the minima in the log-log power-law fits: equal, or
        ``1 / vertex_se**2`` so that noisy or poorly bracketed budgets count less
        (Porian et al. 2024, §A). Distinct from ``weights``, which weights runs
        within a budget.

    Returns
    -------
    IsoFLOPResult
        Per-budget fits, per-run budget labels, and the power laws
        ``N_opt = k_N C^a``, ``D_opt = k_D C^b`` (``None`` with fewer than two usable
        budgets).

    Warns
    -----
    IsoFLOPWarning
        Once, listing the flagged budgets (minimum not bracketed by the sampled
        sizes, no valley, too few points), the ``ASYMMETRIC`` ones (with the advice
        to use ``vertex="local"`` or ``"spline"``), budget labels that contradict the
        runs, and saying when fewer than two budgets are usable.

    Raises
    ------
    ValueError, TypeError
        On bad input: non-finite or non-positive data, mismatched lengths, both or
        neither of ``n_tokens`` and ``compute``, an ambiguous grouping, an unknown
        ``vertex``, a ``window`` below 3, even, or larger than every budget's
        number of sizes (with ``vertex="local"``).

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
    (:func:`~chinchilla_laws.fit_power_law`), weighted by ``power_law_weights``.

    **Noise model and vertex uncertainty.** Within a budget the losses are taken
    as :math:`L_i = f(x_i) + \varepsilon_i` with independent
    :math:`\varepsilon_i` of variance :math:`\sigma^2 / w_i` (``weights``), one
    :math:`\sigma` for the whole sweep. :math:`\hat\sigma^2` pools the weighted
    residuals of the local parabolas (the window fits, or the whole budget when it
    has no more sizes than ``window``) over budgets, divided by their degrees of
    freedom (``noise_sd``, ``noise_dof``): these are the fits least affected by
    a valley that is not a parabola. When they have no residual degrees of freedom
    (``window=3`` without repeated sizes), the global parabolas' residuals are
    pooled instead. ``vertex_se`` is the standard error of the
    minimum :math:`x^*` under this model: for the parabola (a linear smoother) by
    the delta method, :math:`\hat\sigma \sqrt{\sum_i g_i^2 / w_i}` with
    :math:`g_i = \partial x^* / \partial L_i` and :math:`x^* = -c_1 / 2 c_2`; for
    ``"local"`` and ``"spline"``, whose minima jump between windows or pieces, by
    simulation: ``NOISE_DRAWS`` (200) copies of the budget's losses with fresh
    noise of the fitted size (fixed seed, so results repeat) go through the
    batched estimator, and the standard error is the standard deviation of their
    minima. Unbracketed local and spline minima get none (NaN).

    **Asymmetry diagnostic.** The parabola is the paper's estimator, but the
    IsoFLOP curve is not a parabola: on a window placed off-centre, or wide, the
    global vertex moves towards the side with more (or farther) runs, while a
    local fit around the lowest loss barely moves. The test statistic is their
    disagreement to first order,

    .. math::

        \Delta = \frac{\ell'(x^*)}{q''}, \qquad \Delta \approx x^* - x^*_{\rm local},

    where :math:`\ell'` is the slope of the local parabola (``window`` sizes
    around the lowest loss) at the global vertex :math:`x^*` and :math:`q''` the
    global parabola's curvature: the distance, in ``ln N``, by which the local fit
    says the minimum lies off the vertex. It is linear in the losses but for
    :math:`x^*` and :math:`q''`, which the whole budget determines well, so its
    standard error follows from the same noise model without the heavy tails of a
    ratio of local coefficients: :math:`\hat\sigma \sqrt{\sum_i (h_i / q'' +
    g_i)^2 / w_i}` with :math:`h_i = \partial \ell'(x^*) / \partial L_i` and
    the local curvature set to the global one, as it is under the null hypothesis
    that the valley is a parabola over the sampled sizes (``asymmetry``,
    ``asymmetry_se``). A budget whose parabola minimum is otherwise ``OK``
    becomes ``ASYMMETRIC`` when both

    .. math::

        |\Delta| > t_{\nu}\!\left(1 - \frac{0.01}{2 G}\right)
        \mathrm{se}(\Delta) \quad\text{and}\quad
        |\Delta| > 0.05\, \tilde h,

    with :math:`t_\nu` Student's quantile on the noise's :math:`\nu` degrees of
    freedom, :math:`G` the budgets tested (a Bonferroni correction aiming at a
    false alarm in 1% of sweeps whose valleys are parabolas,
    ``ASYMMETRY_LEVEL``), and :math:`\tilde h` the budget's median spacing of
    distinct ``ln N`` (``ASYMMETRY_SPACING_FRACTION``): the first condition asks
    that the noise cannot explain the disagreement, the second that it matters
    at the design's resolution, so that on exact data any disagreement beyond a
    twentieth of a step counts. A budget is not tested when the window holds all
    its sizes. ``ASYMMETRIC`` minima stay in the power laws (they are minima,
    possibly biased); the warning recommends ``vertex="local"`` or ``"spline"``.

    **Budget labels.** When ``budgets`` is given, each run's ``k N D`` (or given
    ``compute``) is compared with its label: a warning names the worst budget
    when the runs are a factor ``LABEL_FACTOR`` (2) or more off their labels on
    the median of all runs or on one budget's median, or when the labels' order
    differs from the order of the budgets' median run FLOPs (labels shifted
    between budgets). Labels that follow another FLOP count within that factor
    (attention included, rounded sizes) pass; ``label_ratio`` shows the ratios.

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
        vertex=vertex,
        window=window,
        power_law_weights=power_law_weights,
    )
    if message is not None:
        warn(message, IsoFLOPWarning)
    return result


def _as_window(window: Any) -> int:
    win = as_int(window, "window", minimum=3)
    if win % 2 == 0:
        raise ValueError(f"`window` must be an odd integer >= 3; got {win}.")
    return win


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
    vertex: Any = "parabola",
    window: Any = 5,
    power_law_weights: Any = "equal",
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
    est = as_choice(vertex, "vertex", VERTEX_ESTIMATORS)
    win = _as_window(window)
    plw = as_choice(power_law_weights, "power_law_weights", ("equal", "inverse_variance"))
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
        vertex=est,
        window=win,
        power_law_weights=plw,
        compute_given=c_in is not None,
    )


def isoflop_bias(
    law: ChinchillaLaw,
    n_params: ArrayLike,
    compute: ArrayLike,
    *,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    against: Against = "n_params",
    budget_rtol: float = 0.05,
    include_flagged: bool = False,
    vertex: Vertex = "parabola",
    window: int = 5,
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
    vertex : {"parabola", "local", "spline"}, default "parabola"
        As in :func:`isoflop_minima`.
    window : int, default 5
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
        vertex=vertex,
        window=window,
    )
    if message is not None:
        warn(message, IsoFLOPWarning)
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


def vertex_estimates(
    log_size: ArrayLike,
    loss: ArrayLike,
    *,
    vertex: Vertex = "parabola",
    window: int = 5,
) -> VertexEstimates:
    r"""Minima of many IsoFLOP curves at once, by one of the estimators of :func:`isoflop_minima`.

    A fast path for simulations (many budgets, or many noisy draws of one): every
    row is one budget's curve, sampled at distinct sizes, with one run per size and
    equal weights. On such data it gives the numbers :func:`isoflop_minima` gives.

    Parameters
    ----------
    log_size : array_like, shape (k,) or (m, k)
        Natural log of the sizes (``ln N``, or ``ln D``), strictly increasing along
        the last axis; one row shared by all curves, or one row per curve.
    loss : array_like, shape (k,) or (m, k)
        The loss at each size, one row per curve.
    vertex : {"parabola", "local", "spline"}, default "parabola"
        The estimator (see :func:`isoflop_minima`).
    window : int, default 5
        Sizes in the local window (odd, 3 to ``k``), for ``"local"``.

    Returns
    -------
    VertexEstimates
        Per curve: ``log_vertex``, ``loss``, ``curvature``, ``bracketed``, ``valley``.

    Raises
    ------
    ValueError, TypeError
        Non-finite values, shapes that do not broadcast, fewer than 3 sizes, sizes
        not strictly increasing, an unknown ``vertex``, a bad ``window``.

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws.isoflop import vertex_estimates
    >>> x = np.linspace(-0.5, 4.0, 10)  # ln(N / N_opt): a window far off-centre
    >>> y = np.exp(-0.34 * x) / 0.34 + np.exp(0.28 * x) / 0.28  # minimum at x = 0
    >>> for vertex in ("parabola", "local", "spline"):
    ...     est = vertex_estimates(x, y, vertex=vertex)
    ...     print(f"{vertex:8s} {est.log_vertex[0]:+.4f} {est.bracketed[0]}")
    parabola +0.0767 True
    local    +0.0026 True
    spline   +0.0002 True
    """
    est_name = as_choice(vertex, "vertex", VERTEX_ESTIMATORS)
    win = _as_window(window)
    x = _as_matrix(log_size, "log_size")
    y = _as_matrix(loss, "loss")
    if x.shape[-1] != y.shape[-1] or (x.shape[0] != y.shape[0] and x.shape[0] != 1):
        raise ValueError(
            "`log_size` and `loss` must have one column per size and one row per curve "
            f"(or a single row of sizes); got shapes {x.shape} and {y.shape}."
        )
    k = y.shape[-1]
    if k < 3:
        raise ValueError(f"`loss` must have at least 3 sizes per curve; got {k}.")
    if not np.all(np.diff(x, axis=-1) > 0):
        raise ValueError("`log_size` must be strictly increasing along each row.")
    xb = np.ascontiguousarray(np.broadcast_to(x, y.shape))
    if est_name == "parabola":
        xv, lv, curv, valley, t_star = _batch_quad(xb, y)
        with np.errstate(invalid="ignore"):
            bracketed = valley & (np.abs(t_star) <= 1.0)
    elif est_name == "local":
        if win > k:
            raise ValueError(f"`window` must not exceed the {k} sizes per curve; got {win}.")
        xv, lv, curv, valley, bracketed = _batch_local(xb, y, None, win)
    else:
        xv, lv, curv, edge = _spline_min(xb, y)
        valley = np.ones(y.shape[0], dtype=np.bool_)
        bracketed = ~edge
    return VertexEstimates(
        log_vertex=np.asarray(xv, dtype=np.float64),
        loss=np.asarray(lv, dtype=np.float64),
        curvature=np.asarray(curv, dtype=np.float64),
        bracketed=np.asarray(bracketed, dtype=np.bool_),
        valley=np.asarray(valley, dtype=np.bool_),
        vertex=est_name,
    )


def _as_matrix(value: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(value) if not isinstance(value, (str, bytes)) else value
    if isinstance(arr, np.ndarray) and arr.ndim == 1:
        return as_float_array(arr, name)[None, :]
    return as_float_array(arr, name, ndim=2)
