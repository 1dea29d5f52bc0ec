"""Power laws ``y = k * C**exponent`` fitted by least squares in log-log space."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._typing import FloatArray, freeze_arrays
from ._validation import as_float_array, same_length
from .result import Record

__all__ = ["PowerLaw", "fit_power_law"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PowerLaw(Record):
    """A fitted power law ``y = coefficient * C**exponent``.

    Attributes
    ----------
    coefficient : float
        The prefactor ``k`` (``y`` at ``C = 1``).
    exponent : float
        The exponent.
    log_coefficient_se, exponent_se : float
        Standard errors of ``log k`` and of the exponent from ordinary least squares
        in log-log space (NaN with fewer than three points).
    covariance : ndarray
        2x2 covariance of ``(log k, exponent)``.
    n_points : int
        Points used.
    """

    coefficient: float
    exponent: float
    log_coefficient_se: float
    exponent_se: float
    covariance: FloatArray
    n_points: int

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def __call__(self, compute: ArrayLike) -> FloatArray:
        c = np.asarray(compute, dtype=np.float64)
        out: FloatArray = self.coefficient * np.power(c, self.exponent)
        return out

    def __repr__(self) -> str:
        return (
            f"PowerLaw({self.coefficient:.6g} * C^{self.exponent:.6g}, "
            f"exponent_se={self.exponent_se:.3g}, n_points={self.n_points})"
        )


def fit_power_law(
    compute: ArrayLike, values: ArrayLike, *, weights: ArrayLike | None = None
) -> PowerLaw:
    """Fit ``values = k * compute**exponent`` by (weighted) least squares on logs.

    Parameters
    ----------
    compute, values : array_like
        Positive, finite, at least two points (three for standard errors).
    weights : array_like, optional
        Non-negative weights on the log-space residuals.
    """
    c = as_float_array(compute, "compute", positive=True, min_size=2)
    v = as_float_array(values, "values", positive=True, min_size=2)
    n = same_length(compute=c, values=v)
    w = np.ones(n) if weights is None else as_float_array(weights, "weights", nonnegative=True)
    same_length(compute=c, weights=w)
    x = np.log(c)
    y = np.log(v)
    if np.ptp(x) == 0:
        raise ValueError("`compute` must contain at least two distinct values; got one.")
    if np.count_nonzero(w) < 2 or np.ptp(x[w > 0]) == 0:
        raise ValueError(
            "`weights` must be positive at two or more distinct `compute` values; got "
            f"{int(np.count_nonzero(w))} point(s) of positive weight"
            f"{' at one compute value' if np.count_nonzero(w) else ''}."
        )
    sw = np.sqrt(w)
    design = np.column_stack([np.ones(n), x]) * sw[:, None]
    coef, *_ = np.linalg.lstsq(design, y * sw, rcond=None)
    resid = (y - coef[0] - coef[1] * x) * sw
    dof = int(np.count_nonzero(w)) - 2
    xtx_inv = np.linalg.inv(design.T @ design)
    if dof > 0:
        sigma2 = float(resid @ resid) / dof
        cov = xtx_inv * sigma2
    else:
        cov = np.full((2, 2), math.nan)
    return PowerLaw(
        coefficient=float(math.exp(coef[0])),
        exponent=float(coef[1]),
        log_coefficient_se=float(math.sqrt(cov[0, 0])) if dof > 0 else math.nan,
        exponent_se=float(math.sqrt(cov[1, 1])) if dof > 0 else math.nan,
        covariance=np.ascontiguousarray(cov),
        n_points=n,
    )
