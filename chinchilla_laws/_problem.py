"""A prepared fitting problem: validated data, standardisation, fixed and tied parameters.

This is the layer between the public entry points (``parametric``, ``bootstrap``)
and the backends (``_solver`` for Numba, ``_jax``): it imports neither of them.

Coordinates, for a family with ``P`` parameters and ``m`` free ones:

* ``theta`` (``P``): the family's solver coordinates (log scale parameters,
  plain exponents), what results report;
* ``u`` (``P``): the kernel's standardised coordinates, ``u = S theta + o``
  (:class:`chinchilla_laws.family.Design`);
* ``v`` (``m``): one value per free group (a free parameter, or a tied group);
  ``theta = Pm v + c`` with ``Pm`` a 0/1 matrix and ``c`` the fixed values;
* ``z`` (``m``): what the solver moves. ``u = Q z + m0`` where ``Q`` is the
  identity on ``m`` pivot rows of ``u`` (so ``z`` *is* a subset of the
  standardised coordinates, as well conditioned as they are). Without fixed or
  tied parameters ``z = u`` and the kernel runs unwrapped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._typing import BoolArray, FloatArray, readonly
from ._validation import (
    _describe,
    as_choice,
    as_float_array,
    as_positive_scalar,
    same_length,
    tied_groups,
)
from .family import LawFamily

__all__ = ["Constraints", "Problem", "WeightSets", "nd_data", "objective_at", "prepare"]


@dataclass(frozen=True, slots=True)
class Constraints:
    """Fixed and tied parameters, validated against a family.

    Attributes
    ----------
    fixed : dict
        Parameter name -> value held fixed.
    tied : tuple of tuple of str
        Groups of parameters that share one value.
    groups : tuple of tuple of int
        Theta indices of each free group (a free parameter alone, or a tied group).
    """

    fixed: Mapping[str, float]
    tied: tuple[tuple[str, ...], ...]
    groups: tuple[tuple[int, ...], ...]

    @property
    def none(self) -> bool:
        return not self.fixed and not self.tied

    def free_names(self, family: LawFamily) -> tuple[str, ...]:
        """Names of the parameters the fit moves (tied ones included)."""
        return tuple(p for p in family.param_names if p not in self.fixed)


def make_constraints(family: LawFamily, fixed: Any, tied: Any) -> Constraints:
    """Validate ``fixed`` and ``tied`` for ``family`` (ValueError/TypeError naming them)."""
    names = family.param_names
    fx: dict[str, float] = {}
    if fixed is not None:
        if not isinstance(fixed, Mapping):
            raise TypeError(
                f"`fixed` must be a mapping from parameter names to values; got {_describe(fixed)}."
            )
        for key, value in fixed.items():
            if key not in names:
                raise ValueError(
                    f"`fixed` names unknown parameter {key!r}; the {family.name!r} family has "
                    f"{list(names)}."
                )
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise TypeError(f"`fixed[{key!r}]` must be a real number; got {_describe(value)}.")
            val = float(value)
            k = family.theta_params.index(key)
            if not math.isfinite(val):
                raise ValueError(f"`fixed[{key!r}]` must be finite; got {val!r}.")
            if family.log_theta[k] and val <= 0:
                raise ValueError(f"`fixed[{key!r}]` must be positive and finite; got {val!r}.")
            if key in family.exponents and val <= 0:
                raise ValueError(f"`fixed[{key!r}]` is an exponent and must be > 0; got {val!r}.")
            fx[key] = val
    groups_named: list[tuple[str, ...]] = []
    if tied is not None:
        groups_named = tied_groups(tied, names, fx, f"the {family.name!r} family")
        for g in groups_named:
            kinds = {family.log_theta[family.theta_params.index(k)] for k in g}
            if len(kinds) != 1:
                raise ValueError(
                    f"`tied` group {g} mixes scale parameters (fitted in log) with others; "
                    "it cannot be tied exactly."
                )
    in_group = {k for g in groups_named for k in g}
    groups: list[tuple[int, ...]] = []
    for k, pname in enumerate(family.theta_params):
        if pname in fx:
            continue
        if pname in in_group:
            g = next(gr for gr in groups_named if pname in gr)
            if pname != g[0]:
                continue
            groups.append(tuple(family.theta_params.index(q) for q in g))
        else:
            groups.append((k,))
    if not groups:
        raise ValueError("`fixed` holds every parameter; nothing is left to fit.")
    return Constraints(fixed=fx, tied=tuple(groups_named), groups=tuple(groups))


@dataclass(frozen=True, slots=True, eq=False)
class WeightSets:
    """Per-problem weights: problem ``j`` weights the points with ``sets[index[j]]``."""

    sets: FloatArray
    index: Any  # IntArray


@dataclass(frozen=True, slots=True, eq=False)
class Problem:
    """Validated, standardised data and the constraint map, shared by fit and bootstrap."""

    family: LawFamily
    data: Mapping[str, FloatArray]
    X: FloatArray
    aux: FloatArray
    target: FloatArray
    weights: FloatArray
    scale: FloatArray
    offset: FloatArray
    delta: float
    reduction: str
    n: int
    constraints: Constraints
    identifiability: tuple[str, ...]
    Q: FloatArray  # (P, m), or (0, 0) when z = u
    m0: FloatArray  # (P,)
    to_v: FloatArray  # (m, P): v = to_v @ theta (mean over each group)
    C: FloatArray  # (m, m): z = C v
    T: FloatArray  # (P, m): theta = T z + c
    c: FloatArray  # (P,)

    # ------------------------------------------------------------------ maps
    @property
    def n_free(self) -> int:
        return int(self.C.shape[0])

    @property
    def unconstrained(self) -> bool:
        return bool(self.Q.shape[0] == 0)

    @property
    def kernel_args(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(X, aux, target, Q, m0)``: the tuple the Numba solver passes around."""
        return (self.X, self.aux, self.target, self.Q, self.m0)

    def to_u(self, theta: FloatArray) -> FloatArray:
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        return np.ascontiguousarray(t @ self.scale.T + self.offset)

    def project(self, theta: FloatArray) -> FloatArray:
        """``theta`` rows moved onto the constraints (fixed values set, tied groups averaged)."""
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if self.unconstrained:
            return t.copy()
        return self.to_theta(self.to_z(t))

    def to_z(self, theta: FloatArray) -> FloatArray:
        """Solver coordinates of ``theta`` rows (projected onto the constraints)."""
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if self.unconstrained:
            return self.to_u(t)
        v = t @ self.to_v.T
        return np.ascontiguousarray(v @ self.C.T)

    def to_theta(self, z: FloatArray) -> FloatArray:
        zz = np.atleast_2d(np.asarray(z, dtype=np.float64))
        if self.unconstrained:
            return np.ascontiguousarray(np.linalg.solve(self.scale, (zz - self.offset).T).T)
        return np.ascontiguousarray(zz @ self.T.T + self.c)

    def z_to_u(self, z: FloatArray) -> FloatArray:
        zz = np.atleast_2d(np.asarray(z, dtype=np.float64))
        if self.unconstrained:
            return np.ascontiguousarray(zz)
        return np.ascontiguousarray(zz @ self.Q.T + self.m0)

    def physical(self, theta: FloatArray) -> BoolArray:
        """Rows whose exponents are all positive."""
        t = np.atleast_2d(theta)
        idx = [self.family.theta_params.index(p) for p in self.family.exponents]
        out: BoolArray = np.all(t[:, idx] > 0, axis=1) if idx else np.ones(t.shape[0], bool)
        return out

    # ------------------------------------------------------------------ weights
    @property
    def weight_scale(self) -> float:
        return float(self.weights.sum())

    def objective_weights(self, weights: FloatArray) -> FloatArray:
        """The weights the kernel sees (a writable copy, divided by the total for the mean)."""
        if self.reduction == "mean":
            return np.array(weights / weights.sum(), dtype=np.float64, order="C")
        return np.array(weights, dtype=np.float64, order="C")

    def abs_gtol(self, gtol: float, weights: FloatArray) -> float:
        """Absolute bound on ``max|grad|`` for relative ``gtol``.

        The gradient of the objective is at most ``max(|r|, delta)`` per unit weight
        and coordinate scale; the reference is ``min(delta, 1)``: ``delta`` while the
        Huber loss is linear at the scale of log-loss residuals (``delta <= 1``), and
        1 beyond, so that a large ``delta`` (every residual quadratic, least squares)
        does not loosen the tolerance (issue 11, item 8).
        """
        ref = min(self.delta, 1.0)
        scale = ref * (1.0 if self.reduction == "mean" else float(weights.sum()))
        return gtol * scale


def prepare(
    family: LawFamily,
    data: Mapping[str, ArrayLike],
    *,
    delta: Any,
    reduction: Any,
    weights: ArrayLike | None,
    fixed: Any = None,
    tied: Any = None,
) -> Problem:
    """Validate the data and options and build the :class:`Problem`."""
    cols = family.check_data(data)
    first = family.data_names[0]
    size = next(iter(cols.values())).shape[0]
    cons = make_constraints(family, fixed, tied)
    n_free = len(cons.groups)
    if size <= n_free:
        raise ValueError(
            f"the fit needs more points than its {n_free} free parameters; got {size} points."
        )
    dl = as_positive_scalar(delta, "delta")
    red = as_choice(reduction, "reduction", ("sum", "mean"))
    if weights is None:
        w = np.ones(size)
    else:
        w = as_float_array(weights, "weights", nonnegative=True)
        same_length(**{first: cols[first], "weights": w})
        if np.count_nonzero(w) <= n_free:
            raise ValueError(
                f"`weights` must have more non-zero entries than the {n_free} free parameters; "
                f"got {np.count_nonzero(w)}."
            )
    active = w > 0
    notes = tuple(family.identifiability(cols, active))
    design = family.design(cols)
    P = family.n_params
    S = design.scale
    o = design.offset
    # theta = Pm v + c
    Pm = np.zeros((P, n_free))
    to_v = np.zeros((n_free, P))
    for j, grp in enumerate(cons.groups):
        for k in grp:
            Pm[k, j] = 1.0
            to_v[j, k] = 1.0 / len(grp)
    c = np.zeros(P)
    for name, value in cons.fixed.items():
        k = family.theta_params.index(name)
        c[k] = math.log(value) if family.log_theta[k] else value
    if cons.none:
        Q = np.zeros((0, 0))
        m0 = np.zeros(P)
        C = np.eye(P)
        T = np.eye(P)
    else:
        M = S @ Pm
        m0 = S @ c + o
        rows = _pivot_rows(M)
        C = M[rows, :]
        Cinv = np.linalg.inv(C)
        Q = M @ Cinv
        Q[rows, :] = np.eye(n_free)  # exact identity on the pivot rows
        T = Pm @ Cinv
    for arr in (w,):
        readonly(arr)
    return Problem(
        family=family,
        data=cols,
        X=design.X,
        aux=design.aux,
        target=design.target,
        weights=w,
        scale=S,
        offset=o,
        delta=dl,
        reduction=red,
        n=size,
        constraints=cons,
        identifiability=notes,
        Q=np.ascontiguousarray(Q),
        m0=np.ascontiguousarray(m0),
        to_v=to_v,
        C=C,
        T=T,
        c=c,
    )


def _pivot_rows(M: FloatArray) -> list[int]:
    """``m`` rows of ``M`` (P x m) forming a well-conditioned square block (greedy pivoting)."""
    _P, m = M.shape
    R = M.copy()
    rows: list[int] = []
    for _ in range(m):
        norms = np.linalg.norm(R, axis=1)
        norms[rows] = -1.0
        r = int(np.argmax(norms))
        rows.append(r)
        q = R[r] / np.linalg.norm(R[r])
        R = R - np.outer(R @ q, q)
    return sorted(rows)


def objective_at(
    problem: Problem, theta: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Objective and gradient with respect to ``theta`` (all ``P`` coordinates) at one row."""
    u = problem.to_u(theta)[0]
    g = np.empty(u.shape[0])
    f = problem.family.kernel(
        np.ascontiguousarray(u),
        problem.X,
        problem.aux,
        problem.target,
        problem.objective_weights(weights),
        problem.delta,
        g,
    )
    return float(f), np.ascontiguousarray(problem.scale.T @ g)


def nd_data(
    fam: LawFamily, n_params: Any, n_tokens: Any, loss: Any, unique_tokens: Any
) -> dict[str, Any]:
    """The data mapping of a family of ``(N, D)`` runs, or ``(N, D, U)`` runs."""
    data = {"n_params": n_params, "n_tokens": n_tokens, "loss": loss}
    if fam.data_names == ("n_params", "n_tokens", "unique_tokens", "loss"):
        if unique_tokens is None:
            raise TypeError(
                f"`unique_tokens` must be given for the {fam.name!r} family (the unique "
                "tokens U of each run); got None."
            )
        data["unique_tokens"] = unique_tokens
    elif fam.data_names != ("n_params", "n_tokens", "loss"):
        raise ValueError(
            f"`family` {fam.name!r} does not take (n_params, n_tokens, loss) data; "
            f"use fit_law({fam.name!r}, {{...}}) with keys {list(fam.data_names)}."
        )
    elif unique_tokens is not None:
        raise ValueError(
            f"`unique_tokens` is only used by families of (N, D, U) runs such as "
            f"'data_constrained'; the {fam.name!r} family does not take it."
        )
    return data
