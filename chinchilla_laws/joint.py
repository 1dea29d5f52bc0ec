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

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _lbfgs
from ._jit import kernel as jit_decorator
from ._typing import BoolArray, FloatArray
from ._validation import _describe
from .family import Design, LawFamily, get_family, register_family
from .result import Record

__all__ = ["JointFamily", "JointLaw", "fit_joint", "joint_family"]


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
    """The joint kernel of ``base`` (cached on disk as ``_grouped__<base name>``)."""
    globs = dict(globals())
    globs["_base"] = base.kernel
    fn = _lbfgs._clone(_grouped, globs, f"_grouped__{base.name}")
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
    """

    laws: tuple[Any, ...]
    shared: tuple[str, ...]
    name: str = ""

    @property
    def family(self) -> LawFamily:
        return joint_family(self.laws[0].family, len(self.laws))

    @property
    def params(self) -> dict[str, float]:
        """Parameters by joint name, ``"A[0]"``, ``"A[1]"``, ... (shared ones per group too)."""
        return {f"{k}[{g}]": v for g, law in enumerate(self.laws) for k, v in law.params.items()}

    def __repr__(self) -> str:
        inner = ", ".join(repr(law) for law in self.laws)
        return f"JointLaw(shared={self.shared!r}, laws=({inner}))"


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


def fit_joint(
    family: str | LawFamily,
    groups: Sequence[Mapping[str, ArrayLike]],
    *,
    shared: Sequence[str],
    fixed: Mapping[str, float] | None = None,
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
        The base family (``"chinchilla"``, ``"kaplan"``, ...).
    groups : sequence of mappings
        One data mapping per group, with the family's ``data_names``.
    shared : sequence of str
        Base parameter names that take one value across all groups, e.g.
        ``("E", "alpha")``.
    fixed : mapping, optional
        Base parameter names (held in every group) or joint names such as
        ``"A[1]"`` (one group) mapped to values.
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
    """
    from .parametric import fit_law

    base = get_family(family)
    if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Sequence):
        raise TypeError(f"`groups` must be a sequence of data mappings; got {_describe(groups)}.")
    G = len(groups)
    if G < 2:
        raise ValueError(f"`groups` must hold at least two groups; got {G}.")
    if isinstance(shared, (str, bytes)):
        raise TypeError(f"`shared` must be a sequence of parameter names; got {shared!r}.")
    shared_t = tuple(shared)
    for p in shared_t:
        if p not in base.param_names:
            raise ValueError(
                f"`shared` names unknown parameter {p!r}; the {base.name!r} family has "
                f"{list(base.param_names)}."
            )
    data: dict[str, list[Any]] = {k: [] for k in (*base.data_names, "group")}
    for g, grp in enumerate(groups):
        if not isinstance(grp, Mapping):
            raise TypeError(f"`groups[{g}]` must be a mapping; got {_describe(grp)}.")
        cols = base.check_data(grp)
        for k in base.data_names:
            data[k].append(cols[k])
        data["group"].append(np.full(cols[base.data_names[0]].size, g))
    joined = {k: np.concatenate(v) for k, v in data.items()}
    fam = joint_family(base, G)
    fx: dict[str, float] = {}
    for key, value in (fixed or {}).items():
        if key in base.param_names:
            fx.update({f"{key}[{g}]": value for g in range(G)})
        else:
            fx[key] = value
    tied = [tuple(f"{p}[{g}]" for g in range(G)) for p in shared_t if f"{p}[0]" not in fx]
    if starts is not None:
        arr = np.asarray(starts, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[1] == base.n_params:
            starts = np.tile(arr, (1, G))  # base starts: the same start in every group
    fit = fit_law(
        fam,
        joined,
        delta=delta,
        reduction=reduction,
        starts=starts,
        fixed=fx,
        tied=tied,
        max_iter=max_iter,
        gtol=gtol,
        abandon=abandon,
        backend=backend,
        warn=warn,
        progress=progress,
    )
    law = JointLaw(laws=fit.law.laws, shared=shared_t)
    import dataclasses

    return dataclasses.replace(fit, law=law)
