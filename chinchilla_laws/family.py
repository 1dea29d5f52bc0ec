r"""The law-family contract: what a scaling law supplies to plug into the fitting engine.

A *law family* is one functional form (Chinchilla's ``E + A/N^alpha + B/D^beta``,
Kaplan et al.'s ``[(N_c/N)^{alpha_N/alpha_D} + D_c/D]^{alpha_D}``, a saturating
``E + A C^{-alpha}``, ...). The engine (:func:`chinchilla_laws.fit_law`) gives
every registered family the same machinery: the grid of starts, L-BFGS in rounds
with abandonment, gradient-verified convergence, fixed and tied parameters, the
bootstrap, the JAX backend, one result type.

A family is an instance of a subclass of :class:`LawFamily`, registered under a
unique name with :func:`register_family`. It supplies

* ``param_names``: the law's parameters, in the order of the law object;
* ``theta_params`` and ``log_theta``: the solver's coordinates ``theta``, one per
  parameter, ``theta_k = log(param)`` where ``log_theta[k]`` is true (positive
  scale parameters) and ``theta_k = param`` otherwise. Because the map is
  coordinate-wise, fixing or tying parameters is exact linear algebra on
  ``theta``, with no penalty;
* ``exponents``: the parameters that must be positive for the law to make sense
  (a fit whose best point has one ``<= 0`` is ``NONPHYSICAL_OPTIMUM``);
* ``data_names``: the keyword names of the data columns (``"loss"`` last);
* :meth:`LawFamily.check_data`: validation of the data (raises on bad input);
* :meth:`LawFamily.design`: the arrays the kernel reads and an *affine
  standardisation* ``u = scale @ theta + offset`` that makes the problem well
  conditioned (identity if none is needed);
* :attr:`LawFamily.kernel`: a Numba ``@njit(cache=True)`` function
  ``f = kernel(u, X, aux, target, w, delta, grad)`` returning the summed
  weighted Huber objective at ``u`` and writing its gradient into ``grad``, in
  one pass (see :mod:`chinchilla_laws._lbfgs` for the exact contract);
* :meth:`LawFamily.jax_objective`: the same objective in ``jax.numpy`` (JAX
  backend; autodiff supplies the gradient);
* :meth:`LawFamily.default_starts` and ``start_low``/``start_high``: the default
  start grid and the box of :func:`chinchilla_laws.random_starts`, in ``theta``;
* :meth:`LawFamily.make_law`: the law object from parameter values;
* optionally :meth:`LawFamily.identifiability` (design checks before the fit),
  :meth:`LawFamily.degenerate` (dead or constant terms after it) and
  :meth:`LawFamily.frontier` (the compute-optimal allocation, vectorised).

The Numba solver is generic: :func:`chinchilla_laws._lbfgs.rounds_for` compiles
the batched L-BFGS rounds around each family's kernel under cache names that
contain the family's ``name``, so families never share a cache entry.

See the documentation page "Adding a law family" for a worked example (the
Kaplan et al. 2020 family in :mod:`chinchilla_laws.kaplan`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._typing import BoolArray, FloatArray
from ._validation import _describe, as_float_array, same_length

if TYPE_CHECKING:
    from ._problem import Problem

__all__ = [
    "Design",
    "FrontierArrays",
    "LawFamily",
    "family_names",
    "get_family",
    "register_family",
]


@dataclass(frozen=True, slots=True, eq=False)
class Design:
    """What a family's kernel reads, and the standardisation of its coordinates.

    Attributes
    ----------
    X : ndarray, shape (n_points, k)
        Per-point inputs of the kernel (C-contiguous float64), e.g. the
        standardised ``(log N, log D)``.
    target : ndarray, shape (n_points,)
        The value each point's prediction is compared with (log loss for every
        family shipped here).
    scale : ndarray, shape (P, P)
        With ``offset``: the kernel's coordinates ``u = scale @ theta + offset``.
    offset : ndarray, shape (P,)
    aux : ndarray, shape (m,)
        Side data of the kernel that is not per point (e.g. learning-rate
        schedules); empty by default.
    """

    X: FloatArray
    target: FloatArray
    scale: FloatArray
    offset: FloatArray
    aux: FloatArray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        # own, writable, C-contiguous float64 copies: the kernels are compiled for
        # exactly this array type (a read-only array would be a second specialisation)
        for name in ("X", "target", "scale", "offset", "aux"):
            arr = np.array(getattr(self, name), dtype=np.float64, order="C")
            object.__setattr__(self, name, arr)


@dataclass(frozen=True, slots=True, eq=False)
class FrontierArrays:
    """A vectorised frontier: rows are parameter sets, columns are budgets.

    ``n_params``, ``n_tokens`` and ``loss`` have shape ``(R, C)``; ``extra``
    holds family-specific columns of the same shape (e.g. epochs).
    """

    n_params: FloatArray
    n_tokens: FloatArray
    loss: FloatArray
    extra: Mapping[str, FloatArray]


class LawFamily(ABC):
    """A functional form the fitting engine can fit (the law-family contract).

    Subclass it, fill in the class attributes and the abstract methods, and
    register one instance with :func:`register_family`. See the module
    docstring for the meaning of each member.
    """

    name: str
    """Registry key and Numba cache tag (letters, digits, ``_``; unique)."""
    equation: str
    """The law as one line of text, for reports."""
    param_names: tuple[str, ...]
    theta_params: tuple[str, ...]
    """The law parameter behind each solver coordinate ``theta_k``."""
    log_theta: tuple[bool, ...]
    """``theta_k = log(param)`` where true, ``theta_k = param`` otherwise."""
    theta_names: tuple[str, ...]
    """Display names of the solver coordinates."""
    exponents: tuple[str, ...] = ()
    """Parameters that must be positive (exponents)."""
    data_names: tuple[str, ...]
    """Keyword names of the data columns, ``"loss"`` last."""
    start_low: tuple[float, ...]
    start_high: tuple[float, ...]
    """Box of random starts in ``theta`` coordinates."""
    abandon: bool = True
    """Whether the Numba backend abandons stuck starts by default (``abandon=None``).
    A family whose good starts descend slowly at first sets ``False``."""

    # ------------------------------------------------------------------ required
    @property
    @abstractmethod
    def kernel(self) -> Any:
        """Numba kernel ``f = kernel(u, X, aux, target, w, delta, grad)``."""

    @abstractmethod
    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        """The kernel's objective in ``jax.numpy`` (traceable; no gradient needed)."""

    @abstractmethod
    def design(self, data: Mapping[str, FloatArray]) -> Design:
        """Kernel inputs and the standardisation ``u = scale @ theta + offset``."""

    @abstractmethod
    def default_starts(self) -> FloatArray:
        """The default start grid, ``(S, P)`` in ``theta`` coordinates."""

    @abstractmethod
    def make_law(self, params: Mapping[str, float], *, name: str = "") -> Any:
        """The law object with these parameter values."""

    # ------------------------------------------------------------------ defaults
    @property
    def cache_key(self) -> str:
        """Tag of the family's compiled solver in Numba's cache (``name`` by default)."""
        return self.name

    @property
    def n_params(self) -> int:
        """Number of law parameters ``P``."""
        return len(self.param_names)

    def check_data(self, data: Mapping[str, ArrayLike]) -> dict[str, FloatArray]:
        """Validate the data columns (positive finite 1-D floats of equal length)."""
        if not isinstance(data, Mapping):
            raise TypeError(
                f"`data` must be a mapping from {list(self.data_names)} to arrays; "
                f"got {_describe(data)}."
            )
        missing = [k for k in self.data_names if k not in data]
        unknown = [k for k in data if k not in self.data_names]
        if missing or unknown:
            raise ValueError(
                f"`data` must have exactly the keys {list(self.data_names)} for the "
                f"{self.name!r} family; missing {missing}, unknown {unknown}."
            )
        out = {k: as_float_array(data[k], k, positive=True) for k in self.data_names}
        same_length(**out)
        return out

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        """Problems of the design that leave the law undetermined (before the fit).

        Return one message per problem that still lets the fit run (its status
        will not be SUCCESS); raise ``ValueError`` for designs that cannot be fitted
        at all. ``active`` marks the points with non-zero weight.
        """
        return []

    def degenerate(self, thetas: FloatArray, problem: Problem, weights: FloatArray) -> BoolArray:
        """Per row of ``thetas``: is a term of the law dead or constant on the data?"""
        return np.zeros(np.atleast_2d(thetas).shape[0], dtype=bool)

    def frontier(
        self, params: FloatArray, compute: FloatArray, flops_per_param_token: float
    ) -> FrontierArrays:
        """Compute-optimal ``N``, ``D`` and loss for parameter rows ``params``.

        ``params`` has shape ``(R, P)`` (columns in ``param_names`` order),
        ``compute`` shape ``(C,)``, with ``C = k N D``. Families without a frontier
        raise ``NotImplementedError``.
        """
        raise NotImplementedError(f"the {self.name!r} family has no compute-optimal frontier")

    # ------------------------------------------------------------------ conversions
    def params_from_theta(self, theta: ArrayLike) -> dict[str, float]:
        """Law parameters from one ``theta`` row (``exp`` on the log coordinates)."""
        t = np.asarray(theta, dtype=np.float64)
        with np.errstate(over="ignore"):
            vals = np.where(self.log_theta, np.exp(t), t)
        by_theta = dict(zip(self.theta_params, vals.tolist(), strict=True))
        return {k: by_theta[k] for k in self.param_names}

    def theta_from_params(self, params: Mapping[str, float]) -> FloatArray:
        """``theta`` from law parameter values."""
        vals = np.array([float(params[k]) for k in self.theta_params])
        return np.where(self.log_theta, np.log(vals), vals)

    def representable(self, thetas: FloatArray) -> BoolArray:
        """Rows whose parameters are finite positive float64 after ``exp`` (log coordinates)."""
        t = np.atleast_2d(thetas)
        logs = t[:, np.array(self.log_theta, dtype=bool)]
        with np.errstate(over="ignore", under="ignore"):
            vals = np.exp(logs)
        ok = np.isfinite(t).all(axis=1) & (np.isfinite(vals) & (vals > 0)).all(axis=1)
        return np.asarray(ok, dtype=bool)

    def law_from_theta(self, theta: ArrayLike, *, name: str = "") -> Any:
        """The law object at one ``theta`` row."""
        return self.make_law(self.params_from_theta(theta), name=name)

    def __repr__(self) -> str:
        return f"<law family {self.name!r}: {self.equation}>"


_REGISTRY: dict[str, LawFamily] = {}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def register_family(family: LawFamily) -> LawFamily:
    """Register ``family`` under ``family.name`` (unique) and return it.

    Checks the contract's static parts: the name is an identifier (it becomes part
    of Numba cache file names), ``theta_params`` is a permutation of
    ``param_names``, and the start box has one entry per coordinate.
    """
    if not isinstance(family, LawFamily):
        raise TypeError(f"`family` must be a LawFamily instance; got {_describe(family)}.")
    name = getattr(family, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"`family.name` must be an identifier; got {name!r}.")
    if name in _REGISTRY and _REGISTRY[name] is not family:
        raise ValueError(f"a law family named {name!r} is already registered.")
    p = len(family.param_names)
    if sorted(family.theta_params) != sorted(family.param_names):
        raise ValueError("`family.theta_params` must be a permutation of `family.param_names`.")
    for attr in ("log_theta", "theta_names", "start_low", "start_high"):
        if len(getattr(family, attr)) != p:
            raise ValueError(f"`family.{attr}` must have {p} entries.")
    if not set(family.exponents) <= set(family.param_names):
        raise ValueError("`family.exponents` must name parameters of the family.")
    _REGISTRY[name] = family
    return family


def get_family(family: str | LawFamily) -> LawFamily:
    """The registered family of that name (or the family itself)."""
    if isinstance(family, LawFamily):
        return family
    if not isinstance(family, str):
        raise TypeError(f"`family` must be a family name or a LawFamily; got {_describe(family)}.")
    try:
        return _REGISTRY[family]
    except KeyError:
        raise ValueError(f"`family` must be one of {family_names()}; got {family!r}.") from None


def family_names() -> list[str]:
    """Names of the registered families."""
    return sorted(_REGISTRY)
