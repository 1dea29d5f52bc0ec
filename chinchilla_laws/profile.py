r"""Objective profiles: is a fitted parameter determined by the data?

The profile of a parameter ``p`` is the lowest objective the fit reaches with ``p``
held at each of a set of values and every other free parameter refitted,

.. math::

    f_p(v) = \min_{\theta:\ p = v} f(\theta).

Where the profile stays within a small tolerance of the optimum over a wide range,
the data do not determine ``p``: a ridge of near-equal fits runs along it. The
data-constrained law's ``R_D*`` is the common case (Muennighoff et al. 2023): on
their 182 runs the profile of ``R_D*`` stays within 1 % of its optimum from about
10 to 10,000.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._typing import FloatArray, IntArray, freeze_arrays
from ._validation import _describe, as_bool, as_float_array, as_positive_scalar
from .family import LawFamily, get_family
from .parametric import FitStatus, ParametricFit, fit_parametric
from .result import Result
from .warnings import IdentifiabilityWarning

__all__ = ["Profile", "ProfileStatus", "profile_objective"]


class ProfileStatus(Enum):
    """Outcome of :func:`profile_objective`; the value is the message."""

    DETERMINED = "the objective rises above the tolerance within the profiled range"
    FLAT = (
        "the objective stays within the tolerance of its optimum over a wide range: "
        "the data do not determine this parameter (a flat ridge)"
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class Profile(Result):
    """Result of :func:`profile_objective`.

    Attributes
    ----------
    param : str
        The profiled parameter.
    values : ndarray
        The values it was held at (sorted).
    objectives : ndarray
        The best objective of the refit at each value.
    fit_status : ndarray of int
        0 where the refit's status was SUCCESS, 1 otherwise (:attr:`refits_converged`
        says whether all were).
    reference : float
        The optimum the tolerance is measured from: the lowest of the profile and
        of ``fit.objective`` when a fit was given.
    rtol : float
        The tolerance, relative to ``reference``.
    flat_low, flat_high : float
        The range of values around the profile's minimum whose objective stays
        within ``reference * (1 + rtol)`` (contiguous; the ends of ``values`` when it
        never leaves the tolerance).
    width : float
        The width of that range in the fit's coordinate (``log`` for scale
        parameters such as ``A``, ``R_D*``; the value itself for exponents).
    min_width : float
        The width at or above which the profile counts as flat.
    status : ProfileStatus
        ``DETERMINED`` or ``FLAT``; ``success`` (the result protocol's, from ``status``)
        is ``True`` for ``DETERMINED``.
    """

    param: str
    values: FloatArray
    objectives: FloatArray
    fit_status: IntArray
    reference: float
    rtol: float
    flat_low: float
    flat_high: float
    width: float
    min_width: float
    status: ProfileStatus

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def flat(self) -> bool:
        """True when the data do not determine the parameter (status FLAT)."""
        return self.status is ProfileStatus.FLAT

    @property
    def refits_converged(self) -> bool:
        """True when every refit of the profile converged (``fit_status`` all 0)."""
        return not bool(np.any(self.fit_status))

    @property
    def message(self) -> str:
        """The status's message, and how many refits did not converge if any."""
        n_failed = int(np.count_nonzero(self.fit_status))
        if n_failed == 0:
            return self.status.value
        return f"{self.status.value}; {n_failed} of {self.fit_status.size} refits did not converge"


def profile_objective(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    param: str,
    values: ArrayLike,
    unique_tokens: ArrayLike | None = None,
    family: str | LawFamily | None = None,
    fit: ParametricFit | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    starts: ArrayLike | None = None,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    rtol: float = 0.01,
    min_width: float = math.log(10.0),
    warn: bool = True,
) -> Profile:
    r"""Profile the fit's objective over one parameter; warn when it is flat.

    At each of ``values`` the parameter is held fixed and every other free
    parameter refitted (:func:`fit_parametric` with ``fixed``), from the family's
    default starts (or ``starts``).

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        The runs, as for :func:`fit_parametric`.
    param : str
        The parameter to profile (a free one: not fixed, not tied).
    values : array_like
        Values to hold it at (positive for scale parameters).
    unique_tokens : array_like, optional
        For families of ``(N, D, U)`` runs (``"data_constrained"``).
    family : str or LawFamily, optional
        Default: ``fit``'s family, else ``"chinchilla"``.
    fit : ParametricFit, optional
        The unconstrained fit (same data, family and constraints): its objective
        joins the reference, and its ``fixed`` and ``tied`` are the defaults.
    fixed, tied : optional
        Other constraints, as for :func:`fit_parametric` (e.g. the five Chinchilla
        parameters of a stage-2 data-constrained fit).
    starts : array_like, optional
        Starts of each refit (default: the family's grid, reduced by the
        constraints).
    delta, reduction
        As for :func:`fit_parametric`.
    rtol : float, default 0.01
        Tolerance relative to the optimum.
    min_width : float, default ln 10
        A profile within ``rtol`` over at least this width of the fit's coordinate
        is FLAT. For scale parameters (fitted in log) the default is one decade.
    warn : bool, default True
        Emit :class:`~chinchilla_laws.IdentifiabilityWarning` naming the parameter
        when the profile is FLAT.

    Returns
    -------
    Profile

    Examples
    --------
    See the how-to page on the data-constrained law: on Muennighoff et al.'s runs,
    with the five published Chinchilla parameters fixed, the profile of ``rd_star``
    over 1 to 10,000 is FLAT.
    """
    if fit is not None and not isinstance(fit, ParametricFit):
        raise TypeError(f"`fit` must be a ParametricFit or None; got {_describe(fit)}.")
    fam = get_family(family if family is not None else (fit.family if fit else "chinchilla"))
    if fit is not None:
        if fit.family != fam.name:
            raise ValueError(
                f"`fit` is a fit of the {fit.family!r} family; `family` is {fam.name!r}."
            )
        if fixed is None and tied is None:
            fixed, tied = dict(fit.fixed), fit.tied
    if not isinstance(param, str) or param not in fam.param_names:
        raise ValueError(
            f"`param` must be one of the {fam.name!r} family's parameters "
            f"{list(fam.param_names)}; got {_describe(param)}."
        )
    fx = dict(fixed or {})
    if param in fx:
        raise ValueError(f"`param` {param!r} is fixed; profile a free parameter.")
    for group in tied or ():
        if param in tuple(group):
            raise ValueError(f"`param` {param!r} is tied ({tuple(group)}); profile a free one.")
    k = fam.theta_params.index(param)
    log_coord = fam.log_theta[k]
    if isinstance(values, (str, bytes)):
        raise TypeError(f"`values` must be an array of numbers; got {_describe(values)}.")
    vals = np.sort(as_float_array(np.atleast_1d(values), "values", positive=log_coord, min_size=2))
    tol = as_positive_scalar(rtol, "rtol")
    mw = as_positive_scalar(min_width, "min_width")
    do_warn = as_bool(warn, "warn")
    objectives = np.empty(vals.size)
    fstatus = np.zeros(vals.size, dtype=np.int64)
    for i, v in enumerate(vals):
        refit = fit_parametric(
            n_params,
            n_tokens,
            loss,
            family=fam,
            unique_tokens=unique_tokens,
            fixed={**fx, param: float(v)},
            tied=tied,
            starts=starts,
            delta=delta,
            reduction=reduction,
            warn=False,
        )
        objectives[i] = refit.objective
        fstatus[i] = 0 if refit.status is FitStatus.SUCCESS else 1
    best = int(np.argmin(objectives))
    reference = float(objectives[best])
    if fit is not None:
        reference = min(reference, float(fit.objective))
    inside = objectives <= reference * (1.0 + tol)
    lo = best
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    hi = best
    while hi < vals.size - 1 and inside[hi + 1]:
        hi += 1
    coord = np.log(vals) if log_coord else vals
    width = float(coord[hi] - coord[lo])
    status = ProfileStatus.FLAT if width >= mw else ProfileStatus.DETERMINED
    if do_warn and status is ProfileStatus.FLAT:
        warnings.warn(
            f"profile_objective: the objective stays within {tol:g} (relative) of its optimum "
            f"{reference:.6g} for {param} from {vals[lo]:.4g} to {vals[hi]:.4g}: the data do "
            f"not determine {param}.",
            IdentifiabilityWarning,
            stacklevel=2,
        )
    return Profile(
        param=param,
        values=vals,
        objectives=objectives,
        fit_status=fstatus,
        reference=reference,
        rtol=tol,
        flat_low=float(vals[lo]),
        flat_high=float(vals[hi]),
        width=width,
        min_width=mw,
        status=status,
    )
