r"""Joint fits: several groups of runs, some parameters shared, the others per group.

For example two training recipes that share the irreducible loss ``E`` and the
exponent ``alpha`` but not the scale ``A``: :func:`fit_joint` fits both groups at
once, with one ``E`` and one ``alpha``. The joint problem is the base family
replicated once per group, with the shared parameters tied across the copies --
the fixed-and-tied machinery of :func:`chinchilla_laws.fit_law`, so the solver
moves exactly the free coordinates. One Numba kernel sums the base kernel over the
groups; it is compiled once per base family, whatever the number of groups.

>>> import numpy as np
>>> import chinchilla_laws as cl
>>> n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
>>> slow = cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.34, beta=0.28)
>>> fast = cl.ChinchillaLaw(E=1.8, A=250.0, B=300.0, alpha=0.34, beta=0.28)
>>> groups = [{"n_params": n, "n_tokens": d, "loss": law.loss(n, d)} for law in (slow, fast)]
>>> fit = cl.fit_joint("chinchilla", groups, shared=("E", "alpha", "beta"))
>>> print(f"E={fit.law.laws[0].E:.4f} A0={fit.law.laws[0].A:.1f} A1={fit.law.laws[1].A:.1f}")
E=1.8000 A0=400.0 A1=250.0
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _lbfgs
from ._jit import kernel as jit_decorator
from ._typing import BoolArray, FloatArray
from ._validation import (
    _describe,
    as_float_array,
    as_fraction,
    as_int,
    tied_groups,
)
from .bootstrap import FrontierBand, ParametricBootstrap, frontier_band, percentile_interval
from .family import Design, LawFamily, get_family, register_family
from .laws import FLOPS_PER_PARAM_TOKEN
from .parametric import ParametricFit
from .result import Record

__all__ = [
    "JointBootstrap",
    "JointFamily",
    "JointLaw",
    "bootstrap_joint",
    "fit_joint",
    "joint_family",
]


def _grouped(u, X, aux, target, w, delta, grad):  # type: ignore[no-untyped-def]
    """Template: the base kernel summed over groups (cloned per base family).

    ``aux = (G, offset_0, ..., offset_G)``: the groups' row ranges in ``X``; ``u``
    and ``grad`` hold ``G`` consecutive blocks of the base family's coordinates.
    """
    G = int(aux[0])
    P = u.shape[0] // G
    f = 0.0
    for g in range(G):
        s = int(aux[1 + g])
        e = int(aux[2 + g])
        f += _base(
            u[g * P : (g + 1) * P],
            X[s:e],
            aux[G + 2 :],
            target[s:e],
            w[s:e],
            delta,
            grad[g * P : (g + 1) * P],
        )
    return f


def _base(*args: Any) -> float:  # pragma: no cover - replaced in every clone
    raise NotImplementedError("template: grouped_kernel() binds the base kernel here")


@functools.cache
def grouped_kernel(base: LawFamily) -> Any:
    """The joint kernel of ``base``, cached on disk as ``_grouped__<base name>_<digest>``.

    ``digest`` is :func:`~chinchilla_laws._lbfgs.source_digest` of the base kernel:
    Numba checks a cached function against its own file (this one) only, so without
    it an edited base kernel would be served inside a stale cached joint kernel.
    """
    globs = dict(globals())
    globs["_base"] = base.kernel
    tag = f"{base.name}_{_lbfgs.source_digest(base.kernel)}"
    fn = _lbfgs._clone(_grouped, globs, f"_grouped__{tag}")
    return jit_decorator()(fn)


@dataclass(frozen=True, slots=True)
class JointLaw(Record):
    """The laws of a joint fit, one per group.

    Attributes
    ----------
    laws : tuple
        The base family's law for each group (shared parameters equal).
    shared : tuple of str
        The parameters shared by every group.
    name : str
        A label.
    tied : tuple of tuple of str
        Groups of base parameters tied within every group (``fit_joint(tied=...)``).
    """

    laws: tuple[Any, ...]
    shared: tuple[str, ...]
    name: str = ""
    tied: tuple[tuple[str, ...], ...] = ()

    @property
    def family(self) -> LawFamily:
        return joint_family(self.laws[0].family, len(self.laws))

    @property
    def params(self) -> dict[str, float]:
        """Parameters by joint name, ``"A[0]"``, ``"A[1]"``, ... (shared ones per group too)."""
        return {f"{k}[{g}]": v for g, law in enumerate(self.laws) for k, v in law.params.items()}

    def __repr__(self) -> str:
        inner = ", ".join(repr(law) for law in self.laws)
        tied = f", tied={self.tied!r}" if self.tied else ""
        return f"JointLaw(shared={self.shared!r}{tied}, laws=({inner}))"


class JointFamily(LawFamily):
    """``base`` replicated over ``n_groups`` groups; parameters named ``"p[g]"``."""

    def __init__(self, base: LawFamily, n_groups: int) -> None:
        if base.data_names[-1] != "loss":
            raise ValueError("joint fits need a base family whose last data column is `loss`.")
        self.base = base
        self.n_groups = n_groups
        G = n_groups
        self.name = f"joint_{base.name}_{G}"
        self.equation = f"{base.equation}, {G} groups"
        self.param_names = tuple(f"{p}[{g}]" for g in range(G) for p in base.param_names)
        self.theta_params = tuple(f"{p}[{g}]" for g in range(G) for p in base.theta_params)
        self.log_theta = tuple(base.log_theta) * G
        self.theta_names = tuple(f"{p}[{g}]" for g in range(G) for p in base.theta_names)
        self.exponents = tuple(f"{p}[{g}]" for g in range(G) for p in base.exponents)
        self.data_names = base.data_names
        self.start_low = tuple(base.start_low) * G
        self.start_high = tuple(base.start_high) * G
        self.abandon = base.abandon

    @property
    def cache_key(self) -> str:
        # one compiled solver per base family, whatever the number of groups
        return f"joint_{self.base.name}"

    @property
    def kernel(self) -> Any:
        return grouped_kernel(self.base)

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        import jax.numpy as jnp

        P = self.base.n_params
        gid = X[:, -1]
        total = jnp.asarray(0.0)
        for g in range(self.n_groups):
            wg = jnp.where(gid == g, w, 0.0)
            total = total + self.base.jax_objective(
                u[g * P : (g + 1) * P], X[:, :-1], aux[:0], target, wg, delta
            )
        return total

    def check_data(self, data: Mapping[str, ArrayLike]) -> dict[str, FloatArray]:
        cols = self.base.check_data({k: v for k, v in data.items() if k != "group"})
        group = np.asarray(data["group"], dtype=np.int64)
        cols["group"] = group.astype(np.float64)
        return cols

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        base_cols = {k: v for k, v in data.items() if k != "group"}
        design = self.base.design(base_cols)
        if design.aux.size:
            raise ValueError(
                f"the {self.base.name!r} family keeps side data (`aux`); joint fits support "
                "families whose data are per point only."
            )
        group = data["group"].astype(np.int64)
        counts = np.bincount(group, minlength=self.n_groups)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.float64)
        G = self.n_groups
        S = np.asarray(np.kron(np.eye(G), design.scale), dtype=np.float64)
        o = np.tile(design.offset, G)
        X = np.column_stack([design.X, group.astype(np.float64)])
        return Design(X=X, target=design.target, scale=S, offset=o,
                      aux=np.concatenate([[float(G)], offsets]))  # fmt: skip

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        notes = []
        group = data["group"].astype(np.int64)
        for g in range(self.n_groups):
            sel = group == g
            part = {k: v[sel] for k, v in data.items() if k != "group"}
            notes += [f"group {g}: {m}" for m in self.base.identifiability(part, active[sel])]
        return notes

    def degenerate(self, thetas: FloatArray, problem: Any, weights: FloatArray) -> BoolArray:
        """Degenerate when the base family finds a dead or constant term in any group."""
        from ._problem import prepare

        t = np.atleast_2d(thetas)
        P = self.base.n_params
        group = problem.data["group"].astype(np.int64)
        out = np.zeros(t.shape[0], dtype=bool)
        for g in range(self.n_groups):
            sel = group == g
            part = {k: v[sel] for k, v in problem.data.items() if k != "group"}
            sub = prepare(
                self.base, part, delta=problem.delta, reduction="sum", weights=weights[sel]
            )
            out |= self.base.degenerate(t[:, g * P : (g + 1) * P], sub, weights[sel])
        return out

    def default_starts(self) -> FloatArray:
        base = self.base.default_starts()
        # the same base start for every group: the grid does not grow with the groups
        return np.ascontiguousarray(np.tile(base, (1, self.n_groups)))

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> JointLaw:
        laws = tuple(
            self.base.make_law({p: params[f"{p}[{g}]"] for p in self.base.param_names})
            for g in range(self.n_groups)
        )
        return JointLaw(laws=laws, shared=(), name=name)


@functools.cache
def joint_family(base: LawFamily, n_groups: int) -> JointFamily:
    """The (registered) joint family of ``base`` over ``n_groups`` groups."""
    return register_family(JointFamily(base, n_groups))  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class _JointData:
    """``groups`` validated and stacked for one joint family (rows in group order)."""

    base: LawFamily
    family: JointFamily
    data: dict[str, FloatArray]
    sizes: tuple[int, ...]
    shared: tuple[str, ...]
    fixed: dict[str, float]
    tied: list[tuple[str, ...]]
    weights: FloatArray | None
    base_tied: tuple[tuple[str, ...], ...] = ()


def _joint_data(
    family: str | LawFamily,
    groups: Sequence[Mapping[str, ArrayLike]],
    shared: Sequence[str],
    fixed: Mapping[str, float] | None,
    weights: Sequence[ArrayLike | None] | None,
    tied: Sequence[Sequence[str]] | None = None,
) -> _JointData:
    base = get_family(family)
    if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Sequence):
        raise TypeError(f"`groups` must be a sequence of data mappings; got {_describe(groups)}.")
    G = len(groups)
    if G < 2:
        raise ValueError(f"`groups` must hold at least two groups; got {G}.")
    if isinstance(shared, (str, bytes)) or not isinstance(shared, Sequence):
        raise TypeError(f"`shared` must be a sequence of parameter names; got {shared!r}.")
    shared_t = tuple(shared)
    for p in shared_t:
        if p not in base.param_names:
            raise ValueError(
                f"`shared` names unknown parameter {p!r}; the {base.name!r} family has "
                f"{list(base.param_names)}."
            )
    data: dict[str, list[Any]] = {k: [] for k in (*base.data_names, "group")}
    sizes = []
    for g, grp in enumerate(groups):
        if not isinstance(grp, Mapping):
            raise TypeError(f"`groups[{g}]` must be a mapping; got {_describe(grp)}.")
        cols = base.check_data(grp)
        for k in base.data_names:
            data[k].append(cols[k])
        sizes.append(int(cols[base.data_names[0]].size))
        data["group"].append(np.full(sizes[-1], g))
    joined = {k: np.concatenate(v) for k, v in data.items()}
    w: FloatArray | None = None
    if weights is not None:
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
            raise TypeError(
                "`weights` must be a sequence with one array (or None) per group; got "
                f"{_describe(weights)}."
            )
        if len(weights) != G:
            raise ValueError(f"`weights` must hold one entry per group ({G}); got {len(weights)}.")
        parts = []
        for g, (wg, n_g) in enumerate(zip(weights, sizes, strict=True)):
            if wg is None:
                parts.append(np.ones(n_g))
                continue
            arr = as_float_array(wg, f"weights[{g}]", nonnegative=True)
            if arr.size != n_g:
                raise ValueError(
                    f"`weights[{g}]` must have one entry per run of group {g} ({n_g}); got "
                    f"{arr.size}."
                )
            parts.append(arr)
        w = np.concatenate(parts)
    fam = joint_family(base, G)
    fx: dict[str, float] = {}
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(
            f"`fixed` must be a mapping from parameter names to values; got {_describe(fixed)}."
        )
    for key, value in (fixed or {}).items():
        if key in base.param_names:
            fx.update({f"{key}[{g}]": value for g in range(G)})
        else:
            fx[key] = value
    sharing = [tuple(f"{p}[{g}]" for g in range(G)) for p in shared_t if f"{p}[0]" not in fx]
    if tied is None:
        return _JointData(base, fam, joined, tuple(sizes), shared_t, fx, sharing, w)
    fixed_everywhere = {k for k in base.param_names if all(f"{k}[{g}]" in fx for g in range(G))}
    base_tied = tuple(
        tied_groups(tied, base.param_names, fixed_everywhere, f"the {base.name!r} family")
    )
    links = sharing + [tuple(f"{p}[{g}]" for p in t) for t in base_tied for g in range(G)]
    return _JointData(
        base, fam, joined, tuple(sizes), shared_t, fx, _components(fam, links), w, base_tied
    )


def _components(family: LawFamily, links: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The groups of parameters that ``links`` (groups sharing a value) join, in the
    family's parameter order: sharing ``alpha`` across groups and tying ``alpha`` to
    ``beta`` within each makes every ``alpha[g]`` and ``beta[g]`` one value."""
    parent = {p: p for link in links for p in link}

    def root(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for link in links:
        for p in link[1:]:
            parent[root(p)] = root(link[0])
    order = {p: i for i, p in enumerate(family.param_names)}
    members: dict[str, list[str]] = {}
    for p in sorted(parent, key=order.__getitem__):
        members.setdefault(root(p), []).append(p)
    return [tuple(m) for m in members.values()]


def fit_joint(
    family: str | LawFamily,
    groups: Sequence[Mapping[str, ArrayLike]],
    *,
    shared: Sequence[str],
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    weights: Sequence[ArrayLike | None] | None = None,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    starts: ArrayLike | None = None,
    max_iter: int = 1000,
    gtol: float = 1e-7,
    abandon: bool | None = None,
    backend: str = "numba",
    warn: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Fit ``family`` to several groups of runs at once, sharing the ``shared`` parameters.

    Parameters
    ----------
    family : str or LawFamily
        The base family (``"chinchilla"``, ``"kaplan"``, ``"saturating"``, ...).
    groups : sequence of mappings
        One data mapping per group, with the family's ``data_names``.
    shared : sequence of str
        Base parameter names that take one value across all groups, e.g.
        ``("E", "alpha")``.
    fixed : mapping, optional
        Base parameter names (held in every group) or joint names such as
        ``"A[1]"`` (one group) mapped to values.
    tied : sequence of sequences of str, optional
        Groups of base parameters that share one value within every group, e.g.
        ``[("alpha", "beta")]``; combined with ``shared`` (``alpha`` shared and tied
        to ``beta`` makes every ``alpha[g]`` and ``beta[g]`` one value).
    weights : sequence, optional
        One array of non-negative weights per group (``None`` for unit weights),
        on the runs' Huber losses as for :func:`chinchilla_laws.fit_law`.
    delta, reduction, starts, max_iter, gtol, abandon, backend, warn, progress
        As for :func:`chinchilla_laws.fit_law`; ``starts`` are rows of the base
        family's ``theta`` (used in every group) or of the joint ``theta`` (the
        groups' coordinates side by side); by default the base grid.

    Returns
    -------
    ParametricFit
        ``law`` is a :class:`JointLaw` (``law.laws[g]`` per group), ``params`` has
        joint names ``"E[0]"``, ``"A[1]"``, ...; shared parameters appear in
        ``tied``.

    See Also
    --------
    bootstrap_joint : intervals for a joint fit (runs resampled within each group).
    """
    from .parametric import fit_law

    jd = _joint_data(family, groups, shared, fixed, weights, tied)
    fit = fit_law(
        jd.family,
        jd.data,
        delta=delta,
        reduction=reduction,
        starts=_joint_starts(starts, jd),
        weights=jd.weights,
        fixed=jd.fixed,
        tied=jd.tied,
        max_iter=max_iter,
        gtol=gtol,
        abandon=abandon,
        backend=backend,
        warn=warn,
        progress=progress,
    )
    law = JointLaw(laws=fit.law.laws, shared=jd.shared, tied=jd.base_tied)
    return dataclasses.replace(fit, law=law)


def _joint_starts(starts: ArrayLike | None, jd: _JointData) -> ArrayLike | None:
    """Base-family start rows repeated in every group; joint rows as given."""
    if starts is None:
        return None
    arr = np.asarray(starts, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == jd.base.n_params:
        return np.tile(arr, (1, jd.family.n_groups))
    return starts


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class JointBootstrap(ParametricBootstrap):
    """Bootstrap of :func:`fit_joint`: runs resampled within each group.

    Everything of :class:`~chinchilla_laws.ParametricBootstrap` (``samples``,
    ``intervals``, ``standard_errors``, ``summary``, ...) with the joint
    parameter names ``"E[0]"``, ``"A[1]"``, ...: a shared parameter has the same
    value in every group of a resample, so ``"E[0]"`` is its interval.

    Attributes
    ----------
    group_sizes : tuple of int
        Runs per group; every resample keeps these counts (stratified resampling).
    shared : tuple of str
        The base parameters shared by the groups.
    """

    group_sizes: tuple[int, ...]
    shared: tuple[str, ...]

    @property
    def base(self) -> LawFamily:
        """The family fitted in each group."""
        fam = self.family
        assert isinstance(fam, JointFamily)
        return fam.base

    @property
    def n_groups(self) -> int:
        return len(self.group_sizes)

    def laws(self) -> list[Any]:
        """The successful resamples as :class:`JointLaw` objects."""
        out = []
        for law in ParametricBootstrap.laws(self):
            out.append(JointLaw(laws=law.laws, shared=self.shared, tied=self.fit.law.tied))
        return out

    def group_samples(self, group: int) -> dict[str, FloatArray]:
        """Samples of one group's parameters under the base family's names."""
        g = self._group(group, "group")
        return {p: self.samples[f"{p}[{g}]"] for p in self.base.param_names}

    def _group(self, value: Any, name: str) -> int:
        g = as_int(value, name, minimum=0)
        if g >= self.n_groups:
            raise ValueError(f"`{name}` must be a group index below {self.n_groups}; got {g}.")
        return g

    def frontier(
        self,
        compute: ArrayLike,
        *,
        group: int = 0,
        level: float = 0.95,
        flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ) -> FrontierBand:
        """Bands on one group's compute-optimal ``N``, ``D``, loss and ``D/N``.

        As :meth:`ParametricBootstrap.frontier` for the law of group ``group``
        (``C = k N D``, ``k = flops_per_param_token``).
        """
        g = self._group(group, "group")
        base = self.base
        P = base.n_params
        params = self._params()[:, g * P : (g + 1) * P]
        return frontier_band(
            base, params, self.fit.law.laws[g], compute, level, flops_per_param_token
        )

    def multiplier_samples(self, group: int = 1, *, reference: int = 0) -> FloatArray:
        r"""Compute multiplier of ``group`` over ``reference`` in each successful resample.

        For the ``"saturating"`` family with ``E`` and ``alpha`` shared, group ``g``
        follows :math:`E + A_g C^{-\alpha} = E + A_{ref} (m C)^{-\alpha}` with
        :math:`m = (A_{ref} / A_g)^{1/\alpha}`: the compute multiplier of
        :func:`chinchilla_laws.compute_multiplier`.
        """
        if self.base.name != "saturating" or not {"E", "alpha"} <= set(self.shared):
            raise ValueError(
                "a compute multiplier needs a joint fit of the 'saturating' family with "
                f"`shared` including 'E' and 'alpha'; this is {self.base.name!r} with "
                f"shared={self.shared}."
            )
        g = self._group(group, "group")
        r = self._group(reference, "reference")
        s = self.samples
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out: FloatArray = np.exp(
                (np.log(s[f"A[{r}]"]) - np.log(s[f"A[{g}]"])) / s[f"alpha[{g}]"]
            )
        return out

    def multiplier_interval(
        self, group: int = 1, *, reference: int = 0, level: float = 0.95
    ) -> tuple[float, float]:
        """Percentile interval of :meth:`multiplier_samples` at ``level``."""
        return percentile_interval(
            self.multiplier_samples(group, reference=reference), as_fraction(level, "level")
        )


def _stratified_weights(
    sizes: Sequence[int],
    n_resamples: int,
    scheme: str,
    fraction: float,
    gen: np.random.Generator,
) -> FloatArray:
    """How often each run enters each resample, drawn within each group.

    ``"resample"``: ``n_g`` draws with replacement from group ``g``'s ``n_g`` runs;
    ``"subsample"``: ``round(fraction n_g)`` of them (at least one) without
    replacement. Rows of the data are in group order.
    """
    w = np.zeros((n_resamples, int(sum(sizes))))
    start = 0
    for n_g in sizes:
        stop = start + n_g
        if scheme == "resample":
            w[:, start:stop] = gen.multinomial(n_g, np.full(n_g, 1.0 / n_g), size=n_resamples)
        else:
            m = min(n_g, max(1, round(fraction * n_g)))
            for r in range(n_resamples):
                w[r, start + gen.choice(n_g, size=m, replace=False)] = 1.0
        start = stop
    return w


def bootstrap_joint(
    family: str | LawFamily,
    groups: Sequence[Mapping[str, ArrayLike]],
    *,
    shared: Sequence[str] | None = None,
    n_resamples: int = 1000,
    scheme: Literal["resample", "subsample"] = "resample",
    fraction: float = 0.8,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    fit: ParametricFit | None = None,
    starts: ArrayLike | None = None,
    weights: Sequence[ArrayLike | None] | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Sequence[Sequence[str]] | None = None,
    delta: float = 1e-3,
    reduction: Literal["sum", "mean"] = "sum",
    max_iter: int = 1000,
    gtol: float = 1e-7,
    backend: str = "numba",
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
) -> JointBootstrap:
    r"""Bootstrap a joint fit (:func:`fit_joint`), resampling runs within each group.

    Parameters
    ----------
    family, groups, shared, weights, fixed, tied
        As for :func:`fit_joint`. ``shared``, ``fixed`` and ``tied`` default to those
        of ``fit`` when it is given (a ``fit`` made with others is refused).
    n_resamples, scheme, fraction, rng, starts, delta, reduction, max_iter, gtol
        As for :func:`chinchilla_laws.bootstrap_parametric`; ``starts`` may be rows
        of the base family's ``theta`` (repeated in every group) or of the joint
        ``theta``. ``fraction`` applies within each group.
    backend, progress, chunk_size
        As for :func:`chinchilla_laws.bootstrap_parametric`.
    fit : ParametricFit, optional
        The :func:`fit_joint` result on these data to start each resample from
        (computed if not given).

    Returns
    -------
    JointBootstrap

    Notes
    -----
    The resampling is *stratified*: each resample draws, in every group, as many
    runs as that group has (with replacement; or the ``fraction`` subsample without
    replacement), never moving runs between groups. The groups are a design
    choice (two recipes trained at chosen budgets), not a random draw, and each
    group's own parameters (``A[g]``) are fitted only on its runs: a pooled
    resample could leave a group with too few runs, or none, so its refit would
    fail or be undetermined, and the intervals would mix that design noise into
    the parameters'. The same argument makes :func:`bootstrap_isoflop` resample
    within budgets.

    Examples
    --------
    >>> import numpy as np
    >>> import chinchilla_laws as cl
    >>> c = np.geomspace(1e18, 1e21, 6)
    >>> base = cl.SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
    >>> rng = np.random.default_rng(0)
    >>> arms = [base.loss(c), base.loss(2.5 * c)]
    >>> groups = [{"compute": c, "loss": y * np.exp(0.005 * rng.standard_normal(6))}
    ...           for y in arms]
    >>> boot = cl.bootstrap_joint("saturating", groups, shared=("E", "alpha"),
    ...                           n_resamples=200, rng=1)
    >>> lo, hi = boot.multiplier_interval(1)
    >>> bool(lo < 2.5 < hi)
    True
    """
    from ._problem import prepare
    from .bootstrap import check_fit, resample_settings, run_resamples

    if fit is not None and not isinstance(fit, ParametricFit):
        raise TypeError(f"`fit` must be a ParametricFit or None; got {_describe(fit)}.")
    if fit is not None and not isinstance(fit.law, JointLaw):
        raise ValueError(f"`fit` must be a fit of `fit_joint`; it fits the {fit.family!r} family.")
    if shared is None:
        if fit is None:
            raise TypeError("`shared` is required when no `fit` is given.")
        shared = fit.law.shared
    if fit is not None and tuple(shared) != fit.law.shared:
        raise ValueError(
            f"`fit` shares {list(fit.law.shared)}; the bootstrap shares {list(shared)}."
        )
    if fit is not None and fixed is None and tied is None:
        fixed, tied = dict(fit.fixed), (fit.law.tied or None)
    jd = _joint_data(family, groups, shared, fixed, weights, tied)
    if fit is not None and fit.family != jd.family.name:
        raise ValueError(
            f"`fit` is a fit of the {fit.family!r} family; the groups make {jd.family.name!r}."
        )
    problem = prepare(
        jd.family,
        jd.data,
        delta=delta,
        reduction=reduction,
        weights=jd.weights,
        fixed=jd.fixed,
        tied=jd.tied,
    )
    opts = resample_settings(
        n_resamples, scheme, fraction, rng, max_iter, gtol, backend, chunk_size, progress
    )
    if fit is None:
        fit = fit_joint(
            jd.base,
            groups,
            shared=jd.shared,
            fixed=fixed,
            tied=tied,
            weights=weights,
            delta=delta,
            reduction=reduction,
            max_iter=opts.max_iter,
            gtol=opts.gtol,
            backend=opts.backend.name,
        )
    else:
        check_fit(fit, problem, weighted=jd.weights is not None, where="bootstrap_joint")
    counts = _stratified_weights(jd.sizes, opts.n_resamples, opts.scheme, opts.fraction, opts.gen)
    fields = run_resamples(
        problem, fit, _joint_starts(starts, jd), counts, opts, where="bootstrap_joint"
    )
    return JointBootstrap(**fields, group_sizes=jd.sizes, shared=jd.shared)
