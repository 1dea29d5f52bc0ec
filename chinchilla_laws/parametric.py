r"""Approach 3 of Hoffmann et al. (2022): the parametric fit of ``L(N, D)``.

The fit minimises, over ``theta = (a, b, e, alpha, beta)``,

.. math::

    \sum_i w_i \, \mathrm{Huber}_\delta\!\left(
        \mathrm{LSE}(a - \alpha \log N_i,\; b - \beta \log D_i,\; e) - \log L_i \right),

with ``A, B, E = exp(a), exp(b), exp(e)``, by L-BFGS from a grid of starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _lbfgs as K
from . import _solver  # noqa: F401 - registers the Numba backend
from ._backends import BatchResult, SolverOptions, check_options, get_backend
from ._problem import Problem, WeightSets, nd_data, objective_at, prepare
from ._typing import BoolArray, FloatArray, IntArray, freeze_arrays
from ._validation import as_bool, as_float_array, as_int, as_positive_scalar, as_rng
from ._warn import warn as emit_warning
from .family import LawFamily, get_family
from .laws import CHINCHILLA
from .result import Result
from .warnings import ConvergenceWarning, GridBoundaryWarning, IdentifiabilityWarning

__all__ = [
    "FitStatus",
    "ParametricFit",
    "StartStatus",
    "fit_law",
    "fit_parametric",
    "objective",
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
    NOT_IDENTIFIABLE = (
        "the design cannot determine every parameter (too few distinct values of an "
        "input); the optimum is one of many that fit equally well"
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
    return CHINCHILLA.default_starts()


def random_starts(
    n: int,
    *,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    low: ArrayLike | None = None,
    high: ArrayLike | None = None,
    family: str | LawFamily = "chinchilla",
) -> FloatArray:
    """``n`` starts drawn uniformly in the box ``[low, high]`` (``theta`` coordinates).

    The default box is the family's (``family.start_low``, ``family.start_high``);
    for Chinchilla ``(0, 0, -1, 0, 0)`` to ``(25, 25, 1, 2, 2)``, the paper grid's box.
    """
    fam = get_family(family)
    P = fam.n_params
    count = as_int(n, "n", minimum=1)
    gen = as_rng(rng)
    lo = as_float_array(fam.start_low if low is None else low, "low")
    hi = as_float_array(fam.start_high if high is None else high, "high")
    if lo.shape != (P,) or hi.shape != (P,):
        raise ValueError(
            f"`low` and `high` must have {P} entries; got {lo.shape[0]} and {hi.shape[0]}."
        )
    if np.any(hi < lo):
        raise ValueError("`high` must be >= `low` in every coordinate.")
    return np.ascontiguousarray(gen.uniform(lo, hi, size=(count, P)))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class ParametricFit(Result):
    r"""Result of :func:`fit_parametric` and :func:`fit_law`.

    Attributes
    ----------
    law : law object
        The fitted law, unrounded (a :class:`ChinchillaLaw` for the default
        family; the family's law type otherwise).
    theta : ndarray
        The family's solver coordinates at the optimum; for Chinchilla
        ``(a, b, e, alpha, beta)`` with ``A, B, E = exp(a, b, e)``.
    objective : float
        The (summed, unless ``reduction="mean"``) Huber objective at the optimum.
    grad : ndarray
        Gradient of the objective with respect to ``theta`` at the optimum (all
        coordinates, fixed ones included).
    grad_norm : float
        ``max|gradient|`` in the solver's standardised free coordinates, the
        quantity compared with ``gtol``.
    gtol : float
        The absolute gradient tolerance used (relative ``gtol`` times
        ``min(delta, 1) * sum(weights)``, divided by ``sum(weights)`` for the mean).
    status : FitStatus
        Overall outcome; ``status.value`` is the message.
    on_grid_boundary : bool
        True when the starts form a grid and every start reaching the best
        objective lies on its boundary, or the optimum lies outside the grid's box.
    best_start : int
        Index of the start that gave the optimum.
    n_points, n_starts, n_converged, n_abandoned : int
        Data points; starts run; starts with a verified gradient; starts abandoned.
    nit, nfev : int
        Iterations and objective evaluations over all starts.
    start_thetas : ndarray, shape (n_starts, P)
        The initial points (moved onto the fixed and tied values).
    end_thetas : ndarray, shape (n_starts, P)
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
    family : str
        Name of the law family fitted.
    free : tuple of str
        The parameters the fit moved (tied ones included).
    fixed : dict
        Parameters held at given values.
    tied : tuple of tuple of str
        Groups of parameters that shared one value.
    notes : tuple of str
        Identifiability problems of the design found before the fit.
    weighted : bool
        Whether the fit used non-uniform ``weights``.
    """

    law: Any
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
    family: str = "chinchilla"
    free: tuple[str, ...] = ("E", "A", "B", "alpha", "beta")
    fixed: Mapping[str, float] = field(default_factory=dict)
    tied: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()
    weighted: bool = False

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def message(self) -> str:
        return self.status.value

    @property
    def params(self) -> dict[str, float]:
        """The fitted law's parameters by name."""
        out: dict[str, float] = self.law.params
        return out

    @property
    def E(self) -> float:
        return self.params["E"]

    @property
    def A(self) -> float:
        return self.params["A"]

    @property
    def B(self) -> float:
        return self.params["B"]

    @property
    def alpha(self) -> float:
        return self.params["alpha"]

    @property
    def beta(self) -> float:
        return self.params["beta"]

    def start_status_counts(self) -> dict[str, int]:
        """How many starts ended in each :class:`StartStatus`."""
        codes = np.bincount(self.start_status, minlength=len(StartStatus))
        return {s.name: int(codes[s.value]) for s in StartStatus}

    def summary(self) -> str:
        """A readable multi-line report of the fit."""
        from .report import fit_summary

        return fit_summary(self)

    def _repr_markdown_(self) -> str:
        from .report import fit_markdown

        return fit_markdown(self)


def _grid_axes(starts: FloatArray) -> BoolArray | None:
    """Which coordinates are axes of a Cartesian grid of starts, or None if not a grid.

    The starts form a grid when the number of distinct rows equals the product of
    the numbers of levels per coordinate; an axis has three or more levels (two
    levels have no interior). Random or hand-picked starts are no grid and define
    no boundary.
    """
    levels = np.array([np.unique(starts[:, k]).size for k in range(starts.shape[1])])
    rows = np.unique(starts, axis=0).shape[0]
    if rows < 2 or int(np.prod(levels.astype(np.float64))) != rows:
        return None
    out: BoolArray = levels >= 3
    return out


def _boundary_mask(starts: FloatArray, axes: BoolArray) -> BoolArray:
    """Per start, whether it sits on the min/max of a grid axis."""
    on = np.zeros(starts.shape[0], dtype=bool)
    for k in np.flatnonzero(axes):
        col = starts[:, k]
        on |= (col == col.min()) | (col == col.max())
    return on


def _check_starts(starts: ArrayLike | None, family: LawFamily) -> FloatArray:
    P = family.n_params
    if starts is None:
        return family.default_starts()
    theta0 = as_float_array(starts, "starts", ndim=2)
    if theta0.shape[1] != P or theta0.shape[0] < 1:
        raise ValueError(
            f"`starts` must have shape (n_starts, {P}) with columns "
            f"({', '.join(family.theta_names)}) and at least one row; got shape {theta0.shape}."
        )
    return theta0


def _check_progress(progress: Any) -> None:
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None; got {type(progress).__name__}.")


def fit_law(
    family: str | LawFamily,
    data: Mapping[str, ArrayLike],
    *,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    starts: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    max_iter: int = 1000,
    gtol: float = 1e-7,
    abandon: bool | None = None,
    backend: str = "numba",
    warn: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ParametricFit:
    r"""Fit any registered law family by multi-start L-BFGS on a Huber objective.

    The general entry point: :func:`fit_parametric` is this function for laws
    of ``(N, D)`` runs. Each family says which data it needs
    (``family.data_names``): for ``"chinchilla"`` and ``"kaplan"``
    ``{"n_params", "n_tokens", "loss"}``, for ``"saturating"``
    ``{"compute", "loss"}``.

    Parameters
    ----------
    family : str or LawFamily
        A registered family name (:func:`chinchilla_laws.family.family_names`)
        or a family object.
    data : mapping of str to array_like
        The family's data columns (positive, finite, equal lengths).
    delta, reduction, starts, weights, max_iter, gtol, warn, progress
        As for :func:`fit_parametric`; ``starts`` are rows of the family's
        ``theta`` (default: the family's grid).
    fixed : mapping, optional
        Parameters held at given values, e.g. ``{"E": 1.8}``.
    tied : sequence of sequences of str, optional
        Groups of parameters that share one value, e.g. ``[("alpha", "beta")]``.
    abandon : bool, optional
        Abandon starts stuck far above the best objective (Numba backend; on by
        default). Passing ``True`` to a backend without rounds warns.
    backend : str, default "numba"
        A registered backend (``"numba"``, ``"jax"``, ``"jaxopt"``).

    Returns
    -------
    ParametricFit
    """
    fam = get_family(family)
    problem = prepare(
        fam, data, delta=delta, reduction=reduction, weights=weights, fixed=fixed, tied=tied
    )
    return fit_problem(
        problem,
        _check_starts(starts, fam),
        max_iter=max_iter,
        gtol=gtol,
        abandon=abandon,
        backend=backend,
        warn=warn,
        progress=progress,
        weighted=weights is not None,
    )


def fit_problem(
    problem: Problem,
    starts: FloatArray,
    *,
    max_iter: int,
    gtol: float,
    abandon: bool | None,
    backend: str,
    warn: bool,
    progress: Callable[[int, int], None] | None,
    weighted: bool,
    abandon_gap: float | None = None,
) -> ParametricFit:
    """The engine's multi-start fit of a prepared problem from ``starts`` (``theta`` rows).

    :func:`fit_law` and the wrappers of the engine (:func:`fit_multi_power`) call this
    after their own validation; ``abandon_gap`` overrides
    :attr:`SolverOptions.abandon_gap` (relative gap above the best objective beyond
    which a stuck start is abandoned).
    """
    fam = problem.family
    iters = as_int(max_iter, "max_iter", minimum=1)
    g_rel = as_positive_scalar(gtol, "gtol")
    do_abandon = None if abandon is None else as_bool(abandon, "abandon")
    be = get_backend(backend)
    do_warn = as_bool(warn, "warn")
    _check_progress(progress)
    if do_warn:
        for note in problem.identifiability:
            emit_warning(f"{fam.name} fit: {note}", IdentifiabilityWarning)

    # starts moved onto the constraints; duplicates (a fixed grid axis) run once
    theta0 = problem.project(starts)
    if not problem.constraints.none:
        _, first = np.unique(theta0, axis=0, return_index=True)
        keep = np.sort(first)
        theta0 = theta0[keep]
    axes = _grid_axes(theta0)
    z0 = problem.to_z(theta0)
    w_obj = problem.objective_weights(problem.weights)
    g_abs = problem.abs_gtol(g_rel, problem.weights)
    opts = SolverOptions(max_iter=iters, gtol=g_abs, abandon=do_abandon)
    if abandon_gap is not None:
        opts = dataclasses.replace(opts, abandon_gap=abandon_gap)
    check_options(be, opts)
    ws = WeightSets(sets=w_obj[None, :], index=np.zeros(z0.shape[0], dtype=np.int64))
    res = be.solve(problem, z0, ws, opts, progress)
    return _assemble(problem, theta0, axes, res, g_abs, be.name, do_warn, weighted=weighted)


def fit_parametric(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    family: str | LawFamily = "chinchilla",
    unique_tokens: ArrayLike | None = None,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    starts: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    max_iter: int = 1000,
    gtol: float = 1e-7,
    abandon: bool | None = None,
    backend: str = "numba",
    warn: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ParametricFit:
    r"""Fit ``L(N, D) = E + A/N**alpha + B/D**beta`` (Hoffmann et al. 2022, Approach 3).

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        Parameters ``N``, training tokens ``D`` and final loss of each run
        (positive, finite, equal lengths, more points than free parameters).
        With budgets instead of tokens, use ``D = C / (6 N)`` (see
        :mod:`chinchilla_laws.flops`).
    family : str or LawFamily, default "chinchilla"
        The law of ``(N, D)`` to fit: ``"chinchilla"`` or ``"kaplan"``
        (Kaplan et al. 2020), ``"overtraining"`` (Gadre et al. 2024), or any
        registered family whose data are ``(n_params, n_tokens, loss)``; or
        ``"data_constrained"`` (Muennighoff et al. 2023), which also needs
        ``unique_tokens``.
    unique_tokens : array_like, optional
        Unique tokens ``U`` of each run (``D / U`` epochs when ``D > U``); required
        by, and only accepted by, families of ``(N, D, U)`` runs.
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
    fixed : mapping, optional
        Parameters held at given values, e.g. ``{"E": 1.8}``.
    tied : sequence of sequences of str, optional
        Groups of parameters sharing one value, e.g. ``[("alpha", "beta")]``.
        Fixed and tied parameters are exact: the solver moves only the free
        coordinates.
    max_iter : int, default 1000
        L-BFGS iterations per start.
    gtol : float, default 1e-7
        Convergence requires ``max|grad| <= gtol * min(delta, 1) * sum(weights)``
        in the solver's standardised coordinates (``delta * sum(weights)`` is the
        size of the gradient when every residual is in the linear regime; the
        cap at 1 keeps a large ``delta`` from loosening the tolerance).
    abandon : bool, optional
        Stop starts stuck far above the best objective (see Notes); by default as
        the family says (on for Chinchilla). ``False`` runs every start to
        convergence or ``max_iter``; ``True`` with a backend without rounds warns.
    backend : {"numba", "jax", "jaxopt"}, default "numba"
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
    flagged and a :class:`ConvergenceWarning` is emitted. Designs with fewer than
    three distinct ``N`` (or ``D``) values cannot separate ``E`` from that term:
    the fit runs, its status is ``NOT_IDENTIFIABLE``, and an
    :class:`IdentifiabilityWarning` names the input.

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
    >>> tied = fit_parametric(n.ravel(), d.ravel(), loss, tied=[("alpha", "beta")], warn=False)
    >>> bool(tied.alpha == tied.beta)
    True
    """
    fam = get_family(family)
    data = nd_data(fam, n_params, n_tokens, loss, unique_tokens)
    return fit_law(
        fam,
        data,
        delta=delta,
        reduction=reduction,
        starts=starts,
        weights=weights,
        fixed=fixed,
        tied=tied,
        max_iter=max_iter,
        gtol=gtol,
        abandon=abandon,
        backend=backend,
        warn=warn,
        progress=progress,
    )


def _assemble(
    problem: Problem,
    theta0: FloatArray,
    axes: BoolArray | None,
    res: BatchResult,
    g_abs: float,
    backend: str,
    do_warn: bool,
    *,
    weighted: bool,
) -> ParametricFit:
    fam = problem.family
    f = np.where(np.isfinite(res.f), res.f, np.inf)
    gnorms = np.max(np.abs(res.grad), axis=1)
    status = np.asarray(res.status, dtype=np.int64)
    if not np.isfinite(f).any():
        raise FloatingPointError(
            "the objective is not finite at any start; check `starts` and the data scale."
        )
    theta_end = problem.to_theta(res.u)
    physical = problem.physical(theta_end) & np.isfinite(f)
    # a parameter outside float64 (A = exp(800), B = exp(-800)): a term pushed to
    # infinity or zero, which only a law the data do not determine reaches
    representable = fam.representable(theta_end)
    if not (physical & representable).any():
        raise FloatingPointError(
            f"every start ended with a non-positive exponent ({', '.join(fam.exponents)} "
            "<= 0) or a parameter outside float64: the data do not constrain the law, or "
            "the `starts` are far from any optimum. Check that the inputs vary "
            "independently and that the starts are sensible."
        )
    lowest = int(np.argmin(f))
    nonphysical = not physical[lowest]
    unrepresentable = not representable[lowest]
    f = np.where(physical & representable, f, np.inf)
    best = int(np.argmin(f))
    f_best = float(f[best])
    converged = status == StartStatus.CONVERGED
    # starts that reached the same optimum (same end point, same objective); among
    # them prefer a converged, interior one
    close = np.all(
        np.abs(theta_end - theta_end[best]) <= 1e-4 * (1.0 + np.abs(theta_end[best])), axis=1
    )
    ties = close & (f <= f_best + 1e-6 * abs(f_best) + 1e-12)
    if axes is not None:
        boundary = _boundary_mask(theta0, axes)
    else:
        boundary = np.zeros(theta0.shape[0], dtype=bool)
    pick = ties & converged & ~boundary
    if not pick.any():
        pick = ties & converged
    if pick.any():
        best = int(np.flatnonzero(pick)[0])
    theta_best = theta_end[best]
    on_boundary = False
    if axes is not None:
        lo, hi = theta0.min(axis=0), theta0.max(axis=0)
        outside = bool(np.any(((theta_best < lo) | (theta_best > hi)) & axes))
        on_boundary = bool((boundary[ties].all() and boundary.any()) or outside)
    n_conv = int(converged.sum())
    degenerate = bool(fam.degenerate(theta_best[None, :], problem, problem.weights)[0])
    if nonphysical:
        fit_status = FitStatus.NONPHYSICAL_OPTIMUM
    elif unrepresentable:
        fit_status = FitStatus.DEGENERATE
    elif n_conv == 0:
        fit_status = FitStatus.NO_START_CONVERGED
    elif not converged[best]:
        fit_status = FitStatus.BEST_NOT_CONVERGED
    elif problem.identifiability:
        # the design is the cause: a dead term at its optimum is only a symptom
        fit_status = FitStatus.NOT_IDENTIFIABLE
    elif degenerate:
        fit_status = FitStatus.DEGENERATE
    else:
        fit_status = FitStatus.SUCCESS
    law = fam.law_from_theta(theta_best)
    _, grad_theta = objective_at(problem, theta_best, problem.weights)
    cons = problem.constraints
    result = ParametricFit(
        law=law,
        theta=np.array(theta_best),
        objective=f_best,
        grad=grad_theta,
        grad_norm=float(gnorms[best]),
        gtol=g_abs,
        status=fit_status,
        on_grid_boundary=on_boundary,
        best_start=best,
        n_points=problem.n,
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
        delta=problem.delta,
        reduction=problem.reduction,
        backend=backend,
        family=fam.name,
        free=cons.free_names(fam),
        fixed=dict(cons.fixed),
        tied=cons.tied,
        notes=problem.identifiability,
        weighted=weighted,
    )
    if do_warn:
        where = f"{fam.name} fit" if fam.name != "chinchilla" else "fit_parametric"
        values = ", ".join(f"{k}={v:.4g}" for k, v in law.params.items())
        if fit_status is FitStatus.DEGENERATE:
            emit_warning(f"{where}: {fit_status.value} ({values}).", IdentifiabilityWarning)
        elif fit_status is FitStatus.NOT_IDENTIFIABLE:
            pass  # warned before the fit, naming the input
        elif fit_status is not FitStatus.SUCCESS:
            emit_warning(
                f"{where}: {fit_status.value} (max|grad| = {gnorms[best]:.3g}, "
                f"gtol = {g_abs:.3g}, status of best start: "
                f"{StartStatus(int(status[best])).name}).",
                ConvergenceWarning,
            )
        # an undetermined law is not cured by a wider grid: that warning would mislead
        if on_boundary and fit_status not in (FitStatus.DEGENERATE, FitStatus.NOT_IDENTIFIABLE):
            emit_warning(
                f"{where}: the best start lies on the boundary of the start grid "
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
    family: str | LawFamily = "chinchilla",
) -> tuple[float, FloatArray]:
    """The fit's objective and its gradient with respect to ``theta`` at one point.

    Useful for checking a published parameter set against data: a converged
    optimum has a gradient near zero.
    """
    fam = get_family(family)
    problem = prepare(
        fam,
        {"n_params": n_params, "n_tokens": n_tokens, "loss": loss},
        delta=delta,
        reduction=reduction,
        weights=weights,
    )
    t = as_float_array(theta, "theta")
    P = fam.n_params
    if t.shape != (P,):
        raise ValueError(
            f"`theta` must have {P} entries ({', '.join(fam.theta_names)}); got {t.shape[0]}."
        )
    return objective_at(problem, t, problem.weights)
