r"""Bootstrap uncertainty for all three methods.

* :func:`bootstrap_parametric` -- Approach 3: refits of resampled points.
* :func:`bootstrap_isoflop` -- Approach 2: runs resampled within each budget.
* :func:`bootstrap_envelope` -- Approach 1: runs resampled with replacement.

Hoffmann et al. (2022) report 10th--90th percentile ranges for Approach 3 that
are implausibly narrow (``a`` in (0.454, 0.455)); Besiroglu et al. (2024) show
that honest intervals on the same data are about 25 times wider.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._backends import Backend, SolverOptions, get_backend
from ._problem import Problem, WeightSets, nd_data, objective_at, prepare
from ._typing import FloatArray, IntArray, freeze_arrays
from ._validation import (
    as_choice,
    as_float_array,
    as_fraction,
    as_int,
    as_positive_scalar,
    as_rng,
)
from ._warn import warn
from .envelope import envelope
from .family import LawFamily, get_family
from .isoflop import isoflop_minima
from .laws import FLOPS_PER_PARAM_TOKEN
from .parametric import FitStatus, ParametricFit, StartStatus, fit_law
from .result import BatchStatus, Record, Result
from .warnings import ChinchillaWarning, ConvergenceWarning

__all__ = [
    "FrontierBand",
    "ParametricBootstrap",
    "PowerLawBootstrap",
    "bootstrap_envelope",
    "bootstrap_isoflop",
    "bootstrap_parametric",
]

PARAMETER_NAMES = ("E", "A", "B", "alpha", "beta", "a", "b", "G")
"""Quantities a Chinchilla bootstrap reports (the law's parameters and a, b, G)."""

MIN_ISOFLOP_SUCCESS = 0.9
"""Fewest resamples of :func:`bootstrap_isoflop` that must give power laws (fraction)."""

Progress = Callable[[int, int], None]


def percentile_interval(samples: FloatArray, level: float) -> tuple[float, float]:
    tail = 50.0 * (1.0 - level)
    lo, hi = np.percentile(samples, [tail, 100.0 - tail])
    return float(lo), float(hi)


def _check_level(level: Any) -> float:
    return as_fraction(level, "level")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class FrontierBand(Record):
    """Point estimate and percentile band of the compute-optimal frontier.

    Attributes
    ----------
    compute : ndarray
        Budgets ``C`` in FLOPs (``C = 6 N D``).
    n_params, n_tokens, loss, tokens_per_param : ndarray
        From the full-data fit.
    n_params_low, n_params_high, n_tokens_low, n_tokens_high, loss_low, loss_high,
    tokens_per_param_low, tokens_per_param_high : ndarray
        Percentile bounds over the successful resamples.
    level : float
        Coverage of the band (0.95 by default).
    """

    compute: FloatArray
    n_params: FloatArray
    n_params_low: FloatArray
    n_params_high: FloatArray
    n_tokens: FloatArray
    n_tokens_low: FloatArray
    n_tokens_high: FloatArray
    loss: FloatArray
    loss_low: FloatArray
    loss_high: FloatArray
    tokens_per_param: FloatArray
    tokens_per_param_low: FloatArray
    tokens_per_param_high: FloatArray
    level: float

    def __post_init__(self) -> None:
        freeze_arrays(self)


def frontier_band(
    family: LawFamily,
    params: FloatArray,
    law: Any,
    compute: ArrayLike,
    level: float,
    flops_per_param_token: float,
) -> FrontierBand:
    """Percentile bands of the frontier of parameter rows ``params`` around ``law``'s."""
    c = as_float_array(np.atleast_1d(np.asarray(compute)), "compute", positive=True)
    lv = _check_level(level)
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    with np.errstate(over="ignore", invalid="ignore"):
        fr = family.frontier(params, c, k)
    n, d, loss = fr.n_params, fr.n_tokens, fr.loss
    point = law.optimal(c, flops_per_param_token=k)
    tail = 50.0 * (1.0 - lv)
    q = [tail, 100.0 - tail]

    def band(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        lo, hi = np.percentile(values, q, axis=0)
        return np.ascontiguousarray(lo), np.ascontiguousarray(hi)

    n_lo, n_hi = band(n)
    d_lo, d_hi = band(d)
    l_lo, l_hi = band(loss)
    r_lo, r_hi = band(d / n)
    return FrontierBand(
        compute=c,
        n_params=np.array(point.n_params),
        n_params_low=n_lo,
        n_params_high=n_hi,
        n_tokens=np.array(point.n_tokens),
        n_tokens_low=d_lo,
        n_tokens_high=d_hi,
        loss=np.array(point.loss),
        loss_low=l_lo,
        loss_high=l_hi,
        tokens_per_param=np.array(point.tokens_per_param),
        tokens_per_param_low=r_lo,
        tokens_per_param_high=r_hi,
        level=lv,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class ParametricBootstrap(Result):
    """Bootstrap of :func:`fit_parametric`.

    Attributes
    ----------
    fit : ParametricFit
        The full-data fit the resamples started from.
    thetas : ndarray, shape (n_resamples, 5)
        ``(a, b, e, alpha, beta)`` of every resample (failed ones included).
    objectives : ndarray
        Objective at each resample's optimum.
    resample_status : ndarray of int
        :class:`StartStatus` of each resample's best run (``status`` is the
        bootstrap's overall :class:`BatchStatus`).
    weights : ndarray, shape (n_resamples, n_points)
        How often each point entered each resample (0/1 for ``subsample``).
    n_resamples, n_failed : int
        Resamples run; resamples whose refit did not verifiably converge. Failed
        resamples are left out of intervals and standard errors, and counted here.
    scheme : {"resample", "subsample"}
        n-out-of-n resampling with replacement, or the paper's subsamples.
    fraction : float
        Subsample fraction (``subsample`` only).
    """

    fit: ParametricFit
    thetas: FloatArray = field(repr=False)
    objectives: FloatArray = field(repr=False)
    resample_status: IntArray = field(repr=False)
    weights: FloatArray = field(repr=False)
    n_resamples: int
    n_failed: int
    scheme: str
    fraction: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def status(self) -> BatchStatus:
        """:class:`BatchStatus` from the failed resamples (per resample: ``resample_status``)."""
        return BatchStatus.of(self.n_resamples, self.n_failed)

    @property
    def message(self) -> str:
        """How many resamples converged, and that the full-data fit's status applies."""
        return (
            f"{self.n_resamples - self.n_failed} of {self.n_resamples} resamples converged; "
            f"full-data fit: {self.fit.message}"
        )

    @property
    def ok_indices(self) -> IntArray:
        """Indices of the resamples that converged (``ok`` elsewhere is a boolean)."""
        return np.flatnonzero(self.resample_status == StartStatus.CONVERGED)

    @property
    def family(self) -> LawFamily:
        return get_family(self.fit.family)

    @property
    def names(self) -> tuple[str, ...]:
        """The quantities in :attr:`samples`: the law's parameters (and a, b, G for Chinchilla)."""
        fam = self.family
        return PARAMETER_NAMES if fam.name == "chinchilla" else fam.param_names

    def _params(self) -> FloatArray:
        """Parameter rows ``(n_ok, P)`` of the successful resamples, ``param_names`` order."""
        fam = self.family
        t = self.thetas[self.ok_indices]
        with np.errstate(over="ignore"):
            vals = np.where(np.array(fam.log_theta)[None, :], np.exp(t), t)
        return vals[:, [fam.theta_params.index(p) for p in fam.param_names]]

    @property
    def samples(self) -> dict[str, FloatArray]:
        """Per-parameter arrays over the successful resamples (E, A, B, alpha, beta, a, b, G)."""
        fam = self.family
        vals = self._params()
        out = {p: np.ascontiguousarray(vals[:, k]) for k, p in enumerate(fam.param_names)}
        if fam.name == "chinchilla":
            alpha, beta, A, B = out["alpha"], out["beta"], out["A"], out["B"]
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                out["a"] = beta / (alpha + beta)
                out["b"] = alpha / (alpha + beta)
                out["G"] = np.exp((np.log(alpha * A) - np.log(beta * B)) / (alpha + beta))
        return out

    def laws(self) -> list[Any]:
        """The successful resamples as laws."""
        return [self.family.law_from_theta(t) for t in self.thetas[self.ok_indices]]

    def standard_errors(self) -> dict[str, float]:
        """Bootstrap standard deviation of each parameter (``inf`` if it overflows)."""
        with np.errstate(over="ignore", invalid="ignore"):
            out = {k: float(np.std(v, ddof=1)) for k, v in self.samples.items()}
        return {k: (v if math.isfinite(v) else math.inf) for k, v in out.items()}

    def intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Percentile intervals of each parameter at ``level``."""
        lv = _check_level(level)
        return {k: percentile_interval(v, lv) for k, v in self.samples.items()}

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of one parameter (``E, A, B, alpha, beta, a, b, G``)."""
        key = as_choice(name, "name", self.names)
        return percentile_interval(self.samples[key], _check_level(level))

    def frontier(
        self,
        compute: ArrayLike,
        *,
        level: float = 0.95,
        flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ) -> FrontierBand:
        """Bands on ``N_opt``, ``D_opt``, ``L_opt`` and ``D/N`` at budgets ``compute``.

        ``compute`` is in FLOPs with ``C = k N D``, ``k = flops_per_param_token``
        (6 by default). Every resample goes through the family's one vectorised
        frontier function.
        """
        return frontier_band(
            self.family, self._params(), self.fit.law, compute, level, flops_per_param_token
        )

    def summary(self, level: float = 0.95) -> str:
        """A table of estimates, standard errors and percentile intervals."""
        from .report import bootstrap_summary

        return bootstrap_summary(self, _check_level(level))

    def _repr_markdown_(self) -> str:
        from .report import code_markdown

        return code_markdown(self.summary())


def _resample_weights(
    n: int, n_resamples: int, scheme: str, fraction: float, gen: np.random.Generator, n_free: int
) -> FloatArray:
    if scheme == "resample":
        counts = gen.multinomial(n, np.full(n, 1.0 / n), size=n_resamples)
        return np.ascontiguousarray(counts, dtype=np.float64)
    m = max(round(fraction * n), n_free + 1)
    w = np.zeros((n_resamples, n))
    for r in range(n_resamples):
        w[r, gen.choice(n, size=m, replace=False)] = 1.0
    return w


def bootstrap_parametric(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    n_resamples: int = 1000,
    scheme: Literal["resample", "subsample"] = "resample",
    fraction: float = 0.8,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    fit: ParametricFit | None = None,
    starts: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    family: str | LawFamily | None = None,
    unique_tokens: ArrayLike | None = None,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    max_iter: int = 1000,
    gtol: float = 1e-7,
    backend: str = "numba",
    progress: Progress | None = None,
    chunk_size: int | None = None,
) -> ParametricBootstrap:
    r"""Bootstrap the parametric fit: refit resampled data, in parallel.

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        The data, as for :func:`fit_parametric`.
    n_resamples : int, default 1000
        Number of resamples.
    scheme : {"resample", "subsample"}, default "resample"
        ``"resample"``: n points drawn with replacement (Besiroglu et al. 2024).
        ``"subsample"``: ``fraction`` of the points without replacement (the
        paper's "80% of the dataset sampled 100 times").
    fraction : float, default 0.8
        Subsample fraction.
    rng : int, Generator or SeedSequence, optional
        Source of randomness (SPEC 7); equal seeds give equal results.
    fit : ParametricFit, optional
        The full-data fit to start each resample from (computed with the paper's
        grid if not given).
    starts : array_like of shape (S, 5), optional
        Run every resample from these starts instead (e.g. :func:`paper_grid`);
        the best of them is kept. Costs ``S`` times more.
    delta, reduction, max_iter, gtol, backend, family
        As for :func:`fit_parametric`.
    weights : array_like, optional
        Weights of the points, as for :func:`fit_parametric`; a resampled point
        carries its weight (times how often it was drawn).
    fixed, tied : optional
        Fixed and tied parameters, as for :func:`fit_parametric`; by default those
        of ``fit`` (a ``fit`` made with other constraints is refused).
    unique_tokens : array_like, optional
        Unique tokens of each run, for families of ``(N, D, U)`` runs
        (``"data_constrained"``); resampled with the runs.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of resamples (Numba, jaxopt)
        or after each round of the solver (JAX; ``done`` then counts finished
        runs divided by the starts per resample).
    chunk_size : int, optional
        Resamples solved per batch (for progress reports), 500 when not given.
        Numba and jaxopt backends (jaxopt: each chunk is one vmapped solve); the
        JAX backend solves all resamples as one batch in rounds (a
        :class:`RuntimeWarning` says so if ``chunk_size`` is given).

    Returns
    -------
    ParametricBootstrap

    Notes
    -----
    Bootstrapping a ``fit`` whose status is not ``SUCCESS`` warns
    (:class:`ConvergenceWarning`): its intervals describe a point that is not a
    verified optimum. A resample whose refit does not reach the gradient tolerance is *failed*:
    it is kept in ``thetas`` with its status, counted in ``n_failed``, left out
    of intervals, and a :class:`ConvergenceWarning` reports the count.

    References
    ----------
    Besiroglu et al. (2024), arXiv:2404.10102, Section 3 and Table 1.

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX, bootstrap_parametric
    >>> rng = np.random.default_rng(0)
    >>> n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    >>> loss = HOFFMANN_2022_TEX.loss(n, d).ravel() * np.exp(0.01 * rng.standard_normal(36))
    >>> boot = bootstrap_parametric(n.ravel(), d.ravel(), loss, n_resamples=200, rng=1)
    >>> lo, hi = boot.interval("a")
    >>> bool(lo < boot.fit.law.a < hi)
    True
    """
    if fit is not None and not isinstance(fit, ParametricFit):
        raise TypeError(f"`fit` must be a ParametricFit or None; got {type(fit).__name__}.")
    fam = get_family(
        family if family is not None else (fit.family if fit is not None else "chinchilla")
    )
    if fit is not None:
        if fit.family != fam.name:
            raise ValueError(
                f"`fit` is a fit of the {fit.family!r} family; `family` is {fam.name!r}."
            )
        if fixed is None and tied is None:
            fixed, tied = dict(fit.fixed), fit.tied
    data_cols = nd_data(fam, n_params, n_tokens, loss, unique_tokens)
    problem = prepare(
        fam, data_cols, delta=delta, reduction=reduction, weights=weights, fixed=fixed, tied=tied
    )
    opts = resample_settings(
        n_resamples, scheme, fraction, rng, max_iter, gtol, backend, chunk_size, progress
    )
    if fit is None:
        fit = fit_law(
            fam,
            data_cols,
            delta=delta,
            reduction=reduction,
            weights=weights,
            fixed=fixed,
            tied=tied,
            max_iter=opts.max_iter,
            gtol=opts.gtol,
            backend=opts.backend.name,
        )
    else:
        check_fit(fit, problem, weighted=weights is not None, where="bootstrap_parametric")
    counts = _resample_weights(
        problem.n, opts.n_resamples, opts.scheme, opts.fraction, opts.gen, problem.n_free
    )
    return ParametricBootstrap(
        **run_resamples(problem, fit, starts, counts, opts, where="bootstrap_parametric")
    )


@dataclass(frozen=True, slots=True)
class ResampleSettings:
    """The validated options that every refitting bootstrap shares."""

    n_resamples: int
    scheme: str
    fraction: float
    gen: np.random.Generator
    max_iter: int
    gtol: float
    backend: Backend
    chunk_size: int | None
    progress: Progress | None


def resample_settings(
    n_resamples: Any,
    scheme: Any,
    fraction: Any,
    rng: Any,
    max_iter: Any,
    gtol: Any,
    backend: Any,
    chunk_size: Any,
    progress: Any,
) -> ResampleSettings:
    """Validate the options of :func:`bootstrap_parametric` (and its kin), naming each."""
    R = as_int(n_resamples, "n_resamples", minimum=2)
    sch = as_choice(scheme, "scheme", ("resample", "subsample"))
    frac = as_fraction(fraction, "fraction")
    gen = as_rng(rng)
    iters = as_int(max_iter, "max_iter", minimum=1)
    g_rel = as_positive_scalar(gtol, "gtol")
    be = get_backend(backend)
    chunk = None if chunk_size is None else as_int(chunk_size, "chunk_size", minimum=1)
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None; got {type(progress).__name__}.")
    return ResampleSettings(R, sch, frac, gen, iters, g_rel, be, chunk, progress)


def run_resamples(
    problem: Problem,
    fit: ParametricFit,
    starts: ArrayLike | None,
    counts: FloatArray,
    opts: ResampleSettings,
    *,
    where: str,
) -> dict[str, Any]:
    """Refit every row of ``counts`` from ``fit`` (or ``starts``): the fields of a
    :class:`ParametricBootstrap` (``fit``, ``thetas``, ..., ``fraction``)."""
    theta0 = resample_starts(fit, starts, problem.family.n_params, where=where)
    thetas, objectives, status, n_failed = solve_resamples(
        problem,
        fit.theta,
        theta0,
        counts,
        max_iter=opts.max_iter,
        gtol=opts.gtol,
        backend=opts.backend,
        chunk_size=opts.chunk_size,
        progress=opts.progress,
        where=where,
    )
    return {
        "fit": fit,
        "thetas": thetas,
        "objectives": objectives,
        "resample_status": status,
        "weights": counts,
        "n_resamples": opts.n_resamples,
        "n_failed": n_failed,
        "scheme": opts.scheme,
        "fraction": opts.fraction if opts.scheme == "subsample" else 1.0,
    }


def check_fit(fit: ParametricFit, problem: Problem, *, weighted: bool, where: str) -> None:
    """Refuse a ``fit=`` made on other data, weights, Huber settings or constraints.

    Warns (:class:`ConvergenceWarning`) when the fit is not a verified optimum.
    """
    cons = problem.constraints
    if fit.n_points != problem.n:
        raise ValueError(f"`fit` was made on {fit.n_points} points; the data have {problem.n}.")
    if fit.delta != problem.delta or fit.reduction != problem.reduction:
        raise ValueError(
            f"`fit` was made with delta={fit.delta:g}, reduction={fit.reduction!r}; the "
            f"bootstrap uses delta={problem.delta:g}, reduction={problem.reduction!r}."
        )
    if dict(fit.fixed) != dict(cons.fixed) or tuple(fit.tied) != cons.tied:
        raise ValueError(
            f"`fit` was made with fixed={dict(fit.fixed)}, tied={list(fit.tied)}; the "
            f"bootstrap uses fixed={dict(cons.fixed)}, tied={list(cons.tied)}."
        )
    if fit.weighted and not weighted:
        raise ValueError(f"`fit` is a weighted fit; pass the same `weights` to {where}.")
    f_here, _ = objective_at(problem, fit.theta, problem.weights)
    # round-off of the coordinate change is far below this; other data are not
    scale = problem.delta * (1.0 if problem.reduction == "mean" else problem.weight_scale)
    if not math.isclose(f_here, fit.objective, rel_tol=1e-6, abs_tol=1e-9 * scale):
        raise ValueError(
            "`fit` was not made on these data (and weights): its objective is "
            f"{fit.objective:.10g}, but {f_here:.10g} at its parameters on the data given."
        )


def resample_starts(
    fit: ParametricFit, starts: ArrayLike | None, n_theta: int, *, where: str
) -> FloatArray:
    """The starts of every resample: the fit's optimum, or the user's ``starts`` rows."""
    if fit.status is not FitStatus.SUCCESS:
        warn(
            f"{where}: the full-data fit has status {fit.status.name} "
            f"({fit.message}); the resamples start from a point that is not a verified "
            "optimum and the intervals may mean little.",
            ConvergenceWarning,
        )
    if starts is None:
        return np.asarray(fit.theta[None, :], dtype=np.float64)
    theta0 = as_float_array(starts, "starts", ndim=2)
    if theta0.shape[1] != n_theta or theta0.shape[0] < 1:
        raise ValueError(
            f"`starts` must have shape (n_starts, {n_theta}) and at least one row; got shape "
            f"{theta0.shape}."
        )
    return theta0


def solve_resamples(
    problem: Problem,
    centre: FloatArray,
    theta0: FloatArray,
    counts: FloatArray,
    *,
    max_iter: int,
    gtol: float,
    backend: Backend,
    chunk_size: int | None,
    progress: Progress | None,
    where: str,
    min_converged: int = 2,
) -> tuple[FloatArray, FloatArray, IntArray, int]:
    """Refit ``problem`` once per row of ``counts`` (how often each point is drawn).

    Every resample runs from the rows of ``theta0`` and keeps its best end point.
    Returns ``(thetas, objectives, status, n_failed)``; a resample is failed when its
    best run did not converge or ended non-physical or degenerate (status
    ``DEGENERATE``; ``centre``, the full-data ``theta``, stands in for non-physical
    rows in the degeneracy check). Warns about failed resamples; raises
    ``FloatingPointError`` when fewer than ``min_converged`` converged.
    """
    fam = problem.family
    be = backend
    R = counts.shape[0]
    chunk = 500 if chunk_size is None else as_int(chunk_size, "chunk_size", minimum=1)
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None; got {type(progress).__name__}.")
    z0 = problem.to_z(theta0)
    S = z0.shape[0]
    P = fam.n_params
    point_w = counts * problem.weights[None, :]
    thetas = np.empty((R, P))
    objectives = np.empty(R)
    status = np.empty(R, dtype=np.int64)
    # several starts per resample: the backend's default abandonment; one start: none
    abandon = None if S > 1 else False
    round_progress: Progress | None = None
    if be.name == "jax":
        if chunk_size is not None:
            warn(
                f"{where}: the JAX backend does not use `chunk_size`: it solves "
                "all resamples as one batch in rounds and reports progress per round.",
                RuntimeWarning,
            )
        chunk = R
        if progress is not None:
            report = progress

            def per_round(finished: int, total: int) -> None:
                report(finished // S, R)

            round_progress = per_round
    done = 0
    while done < R:
        stop = min(R, done + chunk)
        block = point_w[done:stop]
        w_obj = np.ascontiguousarray(
            block / block.sum(axis=1, keepdims=True) if problem.reduction == "mean" else block
        )
        nb = stop - done
        starts_z = np.ascontiguousarray(np.tile(z0, (nb, 1)))
        widx = np.repeat(np.arange(nb, dtype=np.int64), S)
        # one absolute tolerance per chunk: the smallest total weight of its resamples
        g_abs = problem.abs_gtol(gtol, block[int(np.argmin(block.sum(axis=1)))])
        o = SolverOptions(max_iter=max_iter, gtol=g_abs, abandon=abandon)
        res = be.solve(problem, starts_z, WeightSets(sets=w_obj, index=widx), o, round_progress)
        f = np.where(np.isfinite(res.f), res.f, np.inf).reshape(nb, S)
        st = np.asarray(res.status).reshape(nb, S)
        best = np.argmin(f, axis=1)
        rows = np.arange(nb)
        z_best = np.asarray(res.u).reshape(nb, S, -1)[rows, best]
        thetas[done:stop] = problem.to_theta(z_best)
        objectives[done:stop] = f[rows, best]
        status[done:stop] = st[rows, best]
        done = stop
        if progress is not None and round_progress is None:
            progress(done, R)
    # a refit that "converged" to a non-physical or degenerate law is no estimate
    bad = ~problem.physical(thetas)
    bad |= fam.degenerate(np.where(bad[:, None], centre, thetas), problem, problem.weights)
    status[bad & (status == StartStatus.CONVERGED)] = StartStatus.DEGENERATE
    n_failed = int(np.count_nonzero(status != StartStatus.CONVERGED))
    if n_failed:
        warn(
            f"{where}: {n_failed} of {R} resamples did not converge or gave a "
            "degenerate law; they are "
            "left out of the intervals (see `resample_status`).",
            ConvergenceWarning,
        )
    if R - n_failed < min_converged:
        raise FloatingPointError(
            f"fewer than {min_converged} resamples converged; no interval can be formed."
        )
    return thetas, objectives, status, n_failed


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class PowerLawBootstrap(Result):
    """Bootstrap of the power laws of :func:`isoflop_minima` or :func:`envelope`.

    Attributes
    ----------
    a, b : ndarray
        Exponents of ``N_opt ∝ C^a`` and ``D_opt ∝ C^b`` per successful resample.
    k_n, k_d : ndarray
        Prefactors of the two power laws per successful resample.
    estimate : dict
        ``a``, ``b``, ``k_n``, ``k_d`` from the full data.
    n_resamples, n_failed : int
        Resamples run; resamples where the method could not fit both power laws.
    method : str
        ``"isoflop"`` or ``"envelope"``.
    """

    a: FloatArray
    b: FloatArray
    k_n: FloatArray
    k_d: FloatArray
    estimate: Mapping[str, float]
    n_resamples: int
    n_failed: int
    method: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def status(self) -> BatchStatus:
        """:class:`BatchStatus` from the resamples that failed."""
        return BatchStatus.of(self.n_resamples, self.n_failed)

    @property
    def message(self) -> str:
        return (
            f"{self.n_resamples - self.n_failed} of {self.n_resamples} resamples of the "
            f"{self.method} fit gave both power laws"
        )

    @property
    def samples(self) -> dict[str, FloatArray]:
        return {"a": self.a, "b": self.b, "k_n": self.k_n, "k_d": self.k_d}

    def standard_errors(self) -> dict[str, float]:
        """Bootstrap standard deviation of ``a``, ``b`` and the prefactors (log scale for k)."""
        return {
            "a": float(np.std(self.a, ddof=1)),
            "b": float(np.std(self.b, ddof=1)),
            "log_k_n": float(np.std(np.log(self.k_n), ddof=1)),
            "log_k_d": float(np.std(np.log(self.k_d), ddof=1)),
        }

    def intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Percentile intervals of ``a``, ``b``, ``k_n``, ``k_d``."""
        lv = _check_level(level)
        return {k: percentile_interval(v, lv) for k, v in self.samples.items()}


def _finish_powerlaw(
    method: str,
    est: Any,
    rows: list[tuple[float, float, float, float]],
    R: int,
    errors: list[str] | None = None,
) -> PowerLawBootstrap:
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    n_failed = R - arr.shape[0]
    why = f" First error: {errors[0]}" if errors else ""
    if arr.shape[0] < 2:
        raise ValueError(f"fewer than two resamples of the {method} fit gave power laws.{why}")
    if n_failed:
        warn(
            f"bootstrap_{method}: {n_failed} of {R} resamples gave no power law; they are "
            f"left out of the intervals.{why}",
            ChinchillaWarning,
        )
    return PowerLawBootstrap(
        a=np.ascontiguousarray(arr[:, 0]),
        b=np.ascontiguousarray(arr[:, 1]),
        k_n=np.ascontiguousarray(arr[:, 2]),
        k_d=np.ascontiguousarray(arr[:, 3]),
        estimate={
            "a": est.n_params_law.exponent,
            "b": est.n_tokens_law.exponent,
            "k_n": est.n_params_law.coefficient,
            "k_d": est.n_tokens_law.coefficient,
        },
        n_resamples=R,
        n_failed=n_failed,
        method=method,
    )


def bootstrap_isoflop(
    n_params: ArrayLike,
    n_tokens: ArrayLike | None = None,
    loss: ArrayLike | None = None,
    *,
    n_resamples: int = 1000,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> PowerLawBootstrap:
    """Bootstrap :func:`isoflop_minima` by resampling runs within each budget.

    Each resample draws, for every budget, as many runs as it has, with
    replacement, and refits the minima and the power laws. ``options`` are
    passed to :func:`isoflop_minima` (``compute``, ``budgets``, ``against``,
    ``vertex``, ``window``, ``power_law_weights``, ...; per-run ``weights`` follow
    their runs). A resample in which fewer than two budgets give usable minima is
    failed: counted, left out, and reported by a warning.

    Failed resamples are not a random subset: with few runs per budget, the
    resamples that survive are those that happened to draw enough distinct sizes,
    and an interval from them is too narrow. When fewer than
    ``MIN_ISOFLOP_SUCCESS`` (90%) of the resamples succeed, the bootstrap is
    refused with a ``ValueError``: use the per-budget standard errors
    (``IsoFLOPResult.vertex_se``, ``power_law_weights="inverse_variance"``) or
    more runs per budget.
    """
    R = as_int(n_resamples, "n_resamples", minimum=2)
    gen = as_rng(rng)
    full = isoflop_minima(n_params, n_tokens, loss, **options)
    if not full.success:
        raise ValueError("the full-data IsoFLOP fit has no power laws; nothing to bootstrap.")
    n = as_float_array(n_params, "n_params", positive=True)
    if loss is None:
        raise TypeError("`loss` is required.")
    lo = as_float_array(loss, "loss")
    groups = [np.flatnonzero(full.run_budget == g) for g in range(len(full.budgets))]
    labels = np.asarray(full.compute)[full.run_budget]
    cols: dict[str, FloatArray] = {}
    if n_tokens is not None:
        cols["n_tokens"] = as_float_array(n_tokens, "n_tokens", positive=True)
    extra = dict(options)
    if "compute" in extra and extra["compute"] is not None:
        cols["compute"] = as_float_array(extra.pop("compute"), "compute", positive=True)
    extra.pop("budgets", None)
    weights = extra.pop("weights", None)
    w_arr = None if weights is None else as_float_array(weights, "weights", nonnegative=True)
    rows: list[tuple[float, float, float, float]] = []
    errors: list[str] = []
    for r in range(R):
        idx = np.concatenate([g[gen.integers(0, g.size, size=g.size)] for g in groups])
        kw: dict[str, Any] = dict(extra)
        kw["budgets"] = labels[idx]
        if "compute" in cols:
            kw["compute"] = cols["compute"][idx]
        if w_arr is not None:
            kw["weights"] = w_arr[idx]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ChinchillaWarning)
            try:
                res = isoflop_minima(
                    n[idx], cols["n_tokens"][idx] if "n_tokens" in cols else None, lo[idx], **kw
                )
            except (ValueError, np.linalg.LinAlgError) as exc:
                errors.append(str(exc))
                res = None
        if res is not None and res.success:
            assert res.n_params_law is not None and res.n_tokens_law is not None
            rows.append(
                (
                    res.n_params_law.exponent,
                    res.n_tokens_law.exponent,
                    res.n_params_law.coefficient,
                    res.n_tokens_law.coefficient,
                )
            )
        if progress is not None:
            progress(r + 1, R)
    if len(rows) < MIN_ISOFLOP_SUCCESS * R:
        smallest = min(g.size for g in groups)
        why = f" First error: {errors[0]}" if errors else ""
        raise ValueError(
            f"bootstrap_isoflop: only {len(rows)} of {R} resamples gave power laws (fewer than "
            f"{MIN_ISOFLOP_SUCCESS:.0%}); the survivors are a biased subset, so no interval is "
            f"reported. The smallest budget has {smallest} runs: resampling it rarely keeps 3 "
            "distinct sizes. Use more runs per budget, or the per-budget standard errors "
            "(`vertex_se`, `power_law_weights='inverse_variance'`)." + why
        )
    return _finish_powerlaw("isoflop", full, rows, R, errors)


def bootstrap_envelope(
    run_id: ArrayLike,
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    n_resamples: int = 200,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    progress: Progress | None = None,
    duplicates: str = "raise",
    min_run_points: int = 2,
    **options: Any,
) -> PowerLawBootstrap:
    """Bootstrap :func:`envelope` by resampling whole runs with replacement.

    ``duplicates`` and ``min_run_points`` act as in :func:`envelope` (rows of a
    run sharing a token count; runs with too few points, skipped in the full
    fit and in every resample). Other ``options`` are passed to :func:`envelope`:
    per-row options such as a long-form ``schedule_end`` array are resampled with
    the rows, mappings from run id follow the runs.
    """
    options = {**options, "duplicates": duplicates, "min_run_points": min_run_points}
    R = as_int(n_resamples, "n_resamples", minimum=2)
    gen = as_rng(rng)
    ids = np.asarray(run_id)
    if ids.ndim != 1:
        raise ValueError(f"`run_id` must be a 1-D array; got shape {ids.shape}.")
    full = envelope(run_id, n_params, n_tokens, loss, **options)
    if full.n_params_law is None or full.n_tokens_law is None:  # pragma: no cover - defensive
        raise ValueError("the full-data envelope has no power laws; nothing to bootstrap.")
    n = np.asarray(n_params, dtype=np.float64)
    d = np.asarray(n_tokens, dtype=np.float64)
    lo = np.asarray(loss, dtype=np.float64)
    uniq, inverse = np.unique(ids, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == k) for k in range(uniq.size)]
    # options given per row (any array-like as long as the data) follow the rows;
    # options given per run (a mapping from run id) follow the renamed runs
    per_row: dict[str, Any] = {}
    per_run: dict[str, Mapping[Any, Any]] = {}
    fixed: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, Mapping):
            per_run[key] = value
        elif not isinstance(value, (str, bytes)) and np.ndim(value) == 1 and len(value) == ids.size:
            per_row[key] = np.asarray(value)
        else:
            fixed[key] = value
    out: list[tuple[float, float, float, float]] = []
    errors: list[str] = []
    for r in range(R):
        pick = gen.integers(0, uniq.size, size=uniq.size)
        idx = np.concatenate([rows_of[k] for k in pick])
        new_ids = np.concatenate([np.full(rows_of[k].size, j) for j, k in enumerate(pick)])
        kw = dict(fixed)
        for key, arr in per_row.items():
            kw[key] = arr[idx]
        for key, mapping in per_run.items():
            kw[key] = {
                j: mapping[uniq[k].item()] for j, k in enumerate(pick) if uniq[k].item() in mapping
            }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ChinchillaWarning)
            try:
                res = envelope(new_ids, n[idx], d[idx], lo[idx], **kw)
            except ValueError as exc:
                errors.append(str(exc))
                res = None
        if (
            res is not None
            and res.n_params_law is not None
            and res.n_tokens_law is not None
            and math.isfinite(res.n_params_law.exponent)
        ):
            out.append(
                (
                    res.n_params_law.exponent,
                    res.n_tokens_law.exponent,
                    res.n_params_law.coefficient,
                    res.n_tokens_law.coefficient,
                )
            )
        if progress is not None:
            progress(r + 1, R)
    return _finish_powerlaw("envelope", full, out, R, errors)
