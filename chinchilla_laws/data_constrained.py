r"""The data-constrained law of Muennighoff et al. (2023): repeated data, excess parameters.

.. math::

    L(N, D, U) = E + \frac{A}{N'^{\alpha}} + \frac{B}{D'^{\beta}}

with the *effective* data and parameters

.. math::

    U_D = \min(U, D), \quad R_D = D / U_D - 1, \quad
    D' = U_D + U_D R_D^* \left(1 - e^{-R_D / R_D^*}\right),

    U_N = \min\{N, N_{opt}(U_D)\}, \quad R_N = N / U_N - 1, \quad
    N' = U_N + U_N R_N^* \left(1 - e^{-R_N / R_N^*}\right),

where ``N_opt(U) = G (U G)^(beta / alpha)`` is the Chinchilla-optimal model
size for ``U`` tokens and ``G = (alpha A / (beta B))^(1 / (alpha + beta))``.
Repeated tokens are worth less each epoch (``R_D*`` is the number of repetitions
after which they are worth ``1 - 1/e`` of fresh ones), and parameters beyond
``N_opt(U_D)`` are worth less in the same way (``R_N*``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import _family_kernels as FK
from ._typing import BoolArray, FloatArray, freeze_arrays
from ._validation import (
    _describe,
    as_float_array,
    as_positive_array,
    as_positive_scalar,
    same_length,
)
from .family import Design, FrontierArrays, LawFamily, register_family
from .laws import FLOPS_PER_PARAM_TOKEN, ChinchillaLaw, Frontier, _as_budget
from .result import LawRecord

__all__ = [
    "DATA_CONSTRAINED",
    "MUENNIGHOFF_2023",
    "DataConstrainedFamily",
    "DataConstrainedFrontier",
    "DataConstrainedLaw",
    "data_constrained_objective",
]

IDENTITY_AUX = np.array([0.0, 1.0, 0.0, 1.0])
"""``aux`` of :func:`~chinchilla_laws._family_kernels.dc_objective_grad` for ``u = theta``."""

BISECTION_STEPS = 64
"""Halvings of the bracket on log N: from a width of at most a few hundred to below
the float64 spacing of log N."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DataConstrainedFrontier(Frontier):
    """The loss-optimal allocation at a set of budgets under a unique-token limit.

    Attributes
    ----------
    compute : ndarray
        Training budgets ``C`` in FLOPs (``C = 6 N D`` unless told otherwise).
    n_params : ndarray
        Optimal parameter counts.
    n_tokens : ndarray
        Optimal token counts ``D = C / (6 N)``, repeats included.
    loss : ndarray
        The law's loss at ``(N, D, U)``.
    unique_tokens : ndarray
        The unique-token limit ``U`` of each budget (equal to ``n_tokens`` when no
        limit was given: every token is then seen once).
    """

    unique_tokens: FloatArray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def epochs(self) -> FloatArray:
        """``D / U``: how many times the unique tokens are seen (below 1: not all used)."""
        return self.n_tokens / self.unique_tokens

    def __repr__(self) -> str:
        rows = ", ".join(
            f"(C={c:.4g}, N={n:.4g}, D={d:.4g}, epochs={ep:.4g}, L={lo:.6g})"
            for c, n, d, ep, lo in zip(
                self.compute, self.n_params, self.n_tokens, self.epochs, self.loss, strict=True
            )
        )
        return f"DataConstrainedFrontier([{rows}])"


def _real(value: Any, attr: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"`{attr}` must be a real number; got {_describe(value)}.")
    fv = float(value)
    if not (math.isfinite(fv) and fv > 0):
        raise ValueError(f"`{attr}` must be a finite positive number; got {fv!r}.")
    return fv


def _broadcast(**arrays: FloatArray) -> list[FloatArray]:
    try:
        return [np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(*arrays.values())]
    except ValueError:
        shapes = " and ".join(f"`{k}` {v.shape}" for k, v in arrays.items())
        raise ValueError(f"the arguments must broadcast together; got shapes {shapes}.") from None


def _saturate(repeats: FloatArray, r_star: float) -> FloatArray:
    """``R* (1 - exp(-R / R*))``: the worth of ``R`` repetitions in fresh units."""
    out: FloatArray = -r_star * np.expm1(-repeats / r_star)
    return out


@dataclass(frozen=True, slots=True)
class DataConstrainedLaw(LawRecord):
    r"""The data-constrained scaling law of Muennighoff et al. (2023).

    .. math::

        L(N, D, U) = E + \frac{A}{N'^{\alpha}} + \frac{B}{D'^{\beta}}

    with the effective data ``D'`` and parameters ``N'`` of
    :meth:`effective_tokens` and :meth:`effective_params`.

    Parameters
    ----------
    E, A, B : float
        Irreducible loss and the two scale coefficients (positive).
    alpha, beta : float
        Exponents for parameters and data (positive).
    rd_star : float
        ``R_D*``: the repetition scale of data. After ``R_D`` repetitions beyond
        the first epoch the data are worth ``U (1 + R_D* (1 - exp(-R_D/R_D*)))``
        fresh tokens, which saturates at ``U (1 + R_D*)``.
    rn_star : float
        ``R_N*``: the same for parameters beyond ``N_opt(U_D)``.
    name : str, optional
        A label used in tables and figures.

    Notes
    -----
    **Reduction to Chinchilla.** With ``U >= D`` (one epoch at most) ``D' = D``;
    with ``N <= N_opt(min(U, D))`` also ``N' = N``, and the loss equals the
    Chinchilla law :attr:`chinchilla` exactly (:meth:`reduces_to_chinchilla`).

    **The one-epoch excess-parameter penalty.** ``U_N`` is capped at
    ``N_opt(U_D)`` even on a single epoch: a model larger than the
    Chinchilla-optimal size for its (unrepeated) data gets ``N' < N`` and a loss
    above the Chinchilla law's. On the 29 single-epoch runs of Muennighoff et
    al.'s 182, 15 are affected under :data:`MUENNIGHOFF_2023`.

    **Optimal allocation under a unique-token limit** (:meth:`optimal`). Along the
    budget line ``D = C / (6 N)`` the loss is unimodal in ``log N`` (the ratio of
    the two terms of its derivative is increasing on every piece, and the
    derivative only jumps upwards where ``U_D`` switches from ``U`` to ``D``), so:

    * when ``C <= 6 U N_opt(U)`` (:meth:`data_limited_compute`), the Chinchilla
      closed form is exact: its optimum uses ``D_opt <= U`` tokens and sits on
      ``N = N_opt(D)``, where ``N' = N`` and ``D' = D``;
    * above that budget the optimum repeats data (``D > U``). Its stationarity
      condition,
      ``alpha A N'^-alpha d log N'/d log N = beta B D'^-beta d log D'/d log D``,
      mixes powers with ``exp(-R/R*)`` and has no closed form; it is solved by
      bisection on the sign of the derivative, for all budgets at once, to the
      float64 resolution of ``log N``. The kinks (``N = N_opt(U)``, ``D = U``)
      need no special care: the derivative is continuous at the first and jumps
      upwards at the second.

    References
    ----------
    Muennighoff et al. (2023), "Scaling Data-Constrained Language Models",
    arXiv:2305.16264 (NeurIPS 2023); constants from huggingface/datablations.

    Examples
    --------
    >>> from chinchilla_laws import MUENNIGHOFF_2023
    >>> print(f"{MUENNIGHOFF_2023.loss(6.34e9, 242e9, 25e9):.10f}")
    2.2256440890
    >>> f = MUENNIGHOFF_2023.optimal(1e22, unique_tokens=25e9)
    >>> print(f"{f.n_params[0]:.4g} params, {f.n_tokens[0]:.4g} tokens, {f.epochs[0]:.2f} epochs")
    7.026e+09 params, 2.372e+11 tokens, 9.49 epochs
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    rd_star: float
    rn_star: float
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for attr in ("E", "A", "B", "alpha", "beta", "rd_star", "rn_star"):
            object.__setattr__(self, attr, _real(getattr(self, attr), attr))
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {_describe(self.name)}.")

    # ------------------------------------------------------------------ parameters
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("E", "A", "B", "alpha", "beta", "rd_star", "rn_star")

    @classmethod
    def from_theta(cls, theta: ArrayLike, *, name: str = "") -> DataConstrainedLaw:
        """Build a law from ``theta = (log A, log B, log E, alpha, beta, log R_D*, log R_N*)``."""
        t = as_float_array(theta, "theta")
        if t.shape != (7,):
            raise ValueError(
                "`theta` must have 7 entries (a, b, e, alpha, beta, log rd_star, log rn_star); "
                f"got {t.shape[0]}."
            )
        return cls(
            E=math.exp(t[2]),
            A=math.exp(t[0]),
            B=math.exp(t[1]),
            alpha=t[3],
            beta=t[4],
            rd_star=math.exp(t[5]),
            rn_star=math.exp(t[6]),
            name=name,
        )

    @classmethod
    def from_chinchilla(
        cls, law: ChinchillaLaw, *, rd_star: float, rn_star: float, name: str = ""
    ) -> DataConstrainedLaw:
        """A data-constrained law with ``law``'s five Chinchilla parameters."""
        if not isinstance(law, ChinchillaLaw):
            raise TypeError(f"`law` must be a ChinchillaLaw; got {_describe(law)}.")
        return cls(
            E=law.E,
            A=law.A,
            B=law.B,
            alpha=law.alpha,
            beta=law.beta,
            rd_star=rd_star,
            rn_star=rn_star,
            name=name,
        )

    @property
    def theta(self) -> FloatArray:
        """``(log A, log B, log E, alpha, beta, log R_D*, log R_N*)``, the fit's coordinates."""
        return np.array(
            [
                math.log(self.A),
                math.log(self.B),
                math.log(self.E),
                self.alpha,
                self.beta,
                math.log(self.rd_star),
                math.log(self.rn_star),
            ]
        )

    @property
    def params(self) -> dict[str, float]:
        """The law's parameters by name (``E, A, B, alpha, beta, rd_star, rn_star``)."""
        return {k: float(getattr(self, k)) for k in self.PARAM_NAMES}

    @property
    def chinchilla(self) -> ChinchillaLaw:
        """The Chinchilla law ``E + A/N^alpha + B/D^beta`` this law reduces to."""
        return ChinchillaLaw(
            E=self.E, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta, name=self.name
        )

    @property
    def G(self) -> float:
        """``(alpha A / (beta B))^(1 / (alpha + beta))``."""
        return self.chinchilla.G

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a`` while data are not limiting: ``beta / (alpha + beta)``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b`` while data are not limiting: ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    def _log_n_opt(self, log_u: FloatArray) -> FloatArray:
        # log N_opt(U) = (log(alpha A / (beta B)) + beta log U) / alpha
        k = math.log(self.alpha * self.A) - math.log(self.beta * self.B)
        out: FloatArray = (k + self.beta * log_u) / self.alpha
        return out

    def n_params_opt(self, unique_tokens: ArrayLike) -> FloatArray:
        """``N_opt(U) = G (U G)^(beta/alpha)``: the Chinchilla-optimal size for ``U`` tokens.

        Parameters beyond it are "excess" and count as ``N' < N``.
        """
        u = as_positive_array(unique_tokens, "unique_tokens")
        with np.errstate(over="ignore"):
            out: FloatArray = np.exp(self._log_n_opt(np.log(u)))
        return out

    def data_limited_compute(
        self, unique_tokens: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> FloatArray:
        """The largest budget whose Chinchilla allocation needs at most ``U`` tokens.

        ``C_U = k U N_opt(U)`` (``k = 6`` by default, ``C = k N D``). Up to ``C_U``
        the optimum of :meth:`optimal` is the Chinchilla closed form; beyond it,
        data repeat.
        """
        u = as_positive_array(unique_tokens, "unique_tokens")
        k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
        out: FloatArray = k * u * self.n_params_opt(u)
        return out

    # ------------------------------------------------------------------ evaluation
    def _inputs(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike
    ) -> list[FloatArray]:
        n = as_positive_array(n_params, "n_params")
        d = as_positive_array(n_tokens, "n_tokens")
        if unique_tokens is None:
            raise TypeError(
                "`unique_tokens` must be given for the data-constrained law (use n_tokens "
                "for data seen once); got None."
            )
        u = as_positive_array(unique_tokens, "unique_tokens")
        return _broadcast(n_params=n, n_tokens=d, unique_tokens=u)

    def _effective_tokens(self, d: FloatArray, u: FloatArray) -> FloatArray:
        ud = np.minimum(u, d)
        out: FloatArray = ud * (1.0 + _saturate(d / ud - 1.0, self.rd_star))
        return out

    def _effective_params(self, n: FloatArray, d: FloatArray, u: FloatArray) -> FloatArray:
        ud = np.minimum(u, d)
        with np.errstate(over="ignore"):
            un = np.minimum(n, np.exp(self._log_n_opt(np.log(ud))))
        out: FloatArray = un * (1.0 + _saturate(n / un - 1.0, self.rn_star))
        return out

    def effective_tokens(self, n_tokens: ArrayLike, unique_tokens: ArrayLike) -> FloatArray:
        """``D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*))`` with ``U_D = min(U, D)``.

        Equal to ``D`` on one epoch or less; saturates at ``U (1 + R_D*)``.
        """
        d = as_positive_array(n_tokens, "n_tokens")
        u = as_positive_array(unique_tokens, "unique_tokens")
        d, u = _broadcast(n_tokens=d, unique_tokens=u)
        return self._effective_tokens(d, u)

    def effective_params(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike
    ) -> FloatArray:
        """``N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*))``, ``U_N = min(N, N_opt(min(U, D)))``.

        Equal to ``N`` up to ``N_opt(U_D)``; saturates at ``N_opt(U_D) (1 + R_N*)``.
        """
        n, d, u = self._inputs(n_params, n_tokens, unique_tokens)
        return self._effective_params(n, d, u)

    def loss(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike
    ) -> FloatArray:
        """The loss ``E + A/N'^alpha + B/D'^beta`` (broadcasting the three arguments).

        Parameters
        ----------
        n_params : array_like
            Parameters ``N``.
        n_tokens : array_like
            Training tokens ``D``, repeats included.
        unique_tokens : array_like
            Unique tokens ``U`` available (``D / U`` epochs when ``D > U``).
        """
        n, d, u = self._inputs(n_params, n_tokens, unique_tokens)
        npr = self._effective_params(n, d, u)
        dpr = self._effective_tokens(d, u)
        out: FloatArray = np.asarray(
            self.E + self.A * np.power(npr, -self.alpha) + self.B * np.power(dpr, -self.beta),
            dtype=np.float64,
        )
        return out

    def __call__(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike
    ) -> FloatArray:
        return self.loss(n_params, n_tokens, unique_tokens)

    def reduces_to_chinchilla(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike
    ) -> BoolArray:
        """Where the loss equals :attr:`chinchilla`'s: ``D <= U`` and ``N <= N_opt(D)``."""
        n, d, u = self._inputs(n_params, n_tokens, unique_tokens)
        with np.errstate(over="ignore"):
            n_opt = np.exp(self._log_n_opt(np.log(np.minimum(u, d))))
        out: BoolArray = (d <= u) & (n <= n_opt)
        return out

    # ------------------------------------------------------------------ optimum
    def _rises(self, log_n: FloatArray, log_nd: FloatArray, u: FloatArray) -> BoolArray:
        """Is the derivative of ``L(N, ND/N, U)`` in ``log N`` (``ND`` fixed) >= 0?

        Only for points that repeat data (``D = ND/N > U``), where ``U_D = U`` and
        ``U_N = min(N, N_opt(U))`` do not move with ``N``. The derivative is
        ``beta B D'^-beta s_D - alpha A N'^-alpha s_N`` with the slopes
        ``s_D = D exp(-R_D/R_D*) / D'`` and ``s_N = N exp(-R_N/R_N*) / N'`` (1 below
        ``N_opt(U)``); with many repetitions both carry ``exp(-R/R*)`` factors that
        underflow, so the two terms are compared as logarithms.
        """
        log_d = log_nd - log_n
        rd = np.exp(log_d) / u - 1.0
        log_dpr = np.log(u) + np.log1p(_saturate(rd, self.rd_star))
        log_un = np.minimum(log_n, self._log_n_opt(np.log(u)))
        rn = np.exp(log_n - log_un) - 1.0
        log_npr = log_un + np.log1p(_saturate(rn, self.rn_star))
        log_up = (
            math.log(self.beta * self.B)
            - self.beta * log_dpr
            + (log_d - rd / self.rd_star - log_dpr)
        )
        log_down = (
            math.log(self.alpha * self.A)
            - self.alpha * log_npr
            + (log_n - rn / self.rn_star - log_npr)
        )
        out: BoolArray = log_up >= log_down
        return out

    def optimal(
        self,
        compute: ArrayLike,
        *,
        unique_tokens: ArrayLike | None = None,
        flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ) -> DataConstrainedFrontier:
        """The loss-optimal ``N``, ``D`` at budgets ``compute`` with ``U`` unique tokens.

        Parameters
        ----------
        compute : array_like
            Budgets in FLOPs, ``C = k N D`` with ``k = flops_per_param_token``
            (6 by default).
        unique_tokens : array_like, optional
            The unique-token limit ``U``: a scalar or one per budget (broadcast
            against ``compute``). ``None`` means unlimited data: the Chinchilla
            frontier, every token seen once.
        flops_per_param_token : float, default 6

        Returns
        -------
        DataConstrainedFrontier
            ``n_params``, ``n_tokens``, ``loss``, ``unique_tokens`` and ``epochs``
            per budget.

        Notes
        -----
        Exact: the Chinchilla closed form up to :meth:`data_limited_compute`,
        bisection on the stationarity condition in ``log N`` beyond it (see the
        class Notes).
        """
        c, _ = _as_budget(compute, "compute")
        k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
        chin = self.chinchilla.optimal(c, flops_per_param_token=k)
        if unique_tokens is None:
            return DataConstrainedFrontier(
                compute=c.copy(),
                n_params=np.array(chin.n_params),
                n_tokens=np.array(chin.n_tokens),
                loss=np.array(chin.loss),
                unique_tokens=np.array(chin.n_tokens),
            )
        u_in, _ = _as_budget(unique_tokens, "unique_tokens")
        c, u = _broadcast(compute=c, unique_tokens=u_in)
        c = np.ascontiguousarray(c)
        u = np.ascontiguousarray(u)
        log_nd = np.log(c / k)
        n_c = np.broadcast_to(chin.n_params, c.shape)
        d_c = np.broadcast_to(chin.n_tokens, c.shape)
        limited = d_c > u
        log_n = np.log(n_c).copy()
        if limited.any():
            log_n[limited] = self._bisect(log_nd[limited], u[limited])
        n = np.exp(log_n)
        d = c / (k * n)
        loss = self.loss(n, d, u)
        return DataConstrainedFrontier(
            compute=c.copy(), n_params=n, n_tokens=d, loss=loss, unique_tokens=u.copy()
        )

    def _bisect(self, log_nd: FloatArray, u: FloatArray) -> FloatArray:
        # the optimum repeats data: it lies left of D = U (the derivative is > 0 from
        # there on); the bisection only evaluates points left of it
        hi = log_nd - np.log(u)
        lo = hi - 4.0
        for _ in range(60):
            up = self._rises(lo, log_nd, u)
            if not up.any():
                break
            lo = np.where(up, lo - 4.0, lo)
        for _ in range(BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            up = self._rises(mid, log_nd, u)
            hi = np.where(up, mid, hi)
            lo = np.where(up, lo, mid)
        out: FloatArray = 0.5 * (lo + hi)
        return out

    # ------------------------------------------------------------------ utilities
    def with_name(self, name: str) -> DataConstrainedLaw:
        """The same law under another label."""
        return DataConstrainedLaw(
            E=self.E,
            A=self.A,
            B=self.B,
            alpha=self.alpha,
            beta=self.beta,
            rd_star=self.rd_star,
            rn_star=self.rn_star,
            name=name,
        )

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return (
            f"DataConstrainedLaw(E={self.E!r}, A={self.A!r}, B={self.B!r}, "
            f"alpha={self.alpha!r}, beta={self.beta!r}, rd_star={self.rd_star!r}, "
            f"rn_star={self.rn_star!r}{label})"
        )


MUENNIGHOFF_2023 = DataConstrainedLaw(
    E=math.exp(0.6254804),
    A=math.exp(6.255414),
    B=math.exp(7.3049974),
    alpha=0.3526596,
    beta=0.3526596,
    rd_star=15.387756,
    rn_star=5.309743,
    name="Muennighoff et al. 2023",
)
"""Muennighoff et al. (2023), huggingface/datablations README: ``log A = 6.255414``,
``log B = 7.3049974``, ``log E = 0.6254804``, ``alpha = beta = 0.3526596``,
``R_D* = 15.387756``, ``R_N* = 5.309743``."""


def data_constrained_objective(
    law: DataConstrainedLaw | ArrayLike,
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    unique_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    delta: float = 1e-3,
    weights: ArrayLike | None = None,
) -> tuple[float, FloatArray]:
    """Summed Huber loss of log residuals, and its gradient in ``theta``, at one law.

    Parameters
    ----------
    law : DataConstrainedLaw or array_like
        A law, or its ``theta = (log A, log B, log E, alpha, beta, log R_D*, log R_N*)``.
    n_params, n_tokens, unique_tokens, loss : array_like
        The runs (1-D, one length, positive).
    delta : float, default 1e-3
        Huber threshold on ``log L_pred - log L``.
    weights : array_like, optional
        Non-negative weights on the points' Huber losses.

    Returns
    -------
    objective : float
    grad : ndarray, shape (7,)
        Gradient with respect to ``theta``. At a kink of the law (``N`` exactly at
        ``N_opt(U_D)``) it is the one-sided derivative of the one-epoch branch.

    Examples
    --------
    The published constants on Muennighoff et al.'s 182 runs give 0.0158259 (see
    the how-to page).
    """
    if isinstance(law, DataConstrainedLaw):
        theta = law.theta
    else:
        theta = as_float_array(law, "law")
        if theta.shape != (7,):
            raise ValueError(
                "`law` must be a DataConstrainedLaw or a theta of 7 entries; "
                f"got {theta.shape[0]} entries."
            )
    n = as_float_array(n_params, "n_params", positive=True)
    d = as_float_array(n_tokens, "n_tokens", positive=True)
    u = as_float_array(unique_tokens, "unique_tokens", positive=True)
    lo = as_float_array(loss, "loss", positive=True)
    size = same_length(n_params=n, n_tokens=d, unique_tokens=u, loss=lo)
    dl = as_positive_scalar(delta, "delta")
    if weights is None:
        w = np.ones(size)
    else:
        w = as_float_array(weights, "weights", nonnegative=True)
        same_length(n_params=n, weights=w)
    grad = np.empty(7)
    X = np.ascontiguousarray(np.stack([np.log(n), np.log(d), np.log(u)], axis=1))
    f = FK.dc_objective_grad(
        np.ascontiguousarray(theta), X, IDENTITY_AUX, np.log(lo), np.ascontiguousarray(w), dl, grad
    )
    return float(f), grad


# ----------------------------------------------------------------------------- family

DEFAULT_R_STARS = (1.0, 4.0, 16.0, 64.0, 256.0)
"""Default start values of ``R_D*`` and ``R_N*``: repeated-data runs show values from
about 1 to a few hundred (Muennighoff et al. fit 15.4 and 5.3)."""


class DataConstrainedFamily(LawFamily):
    """The data-constrained family (registered as ``"data_constrained"``).

    Solver coordinates ``theta = (log A, log B, log E, alpha, beta, log R_D*,
    log R_N*)``. The kernel reads the raw ``(log N, log D, log U)`` and works on the
    standardised ``u = (a - alpha m_x, b - beta m_y, e, alpha s_x, beta s_y, ...)``
    of the Chinchilla fit (``m``, ``s``: mean and standard deviation of log N and
    log D), passed to it in ``aux`` because the kink ``N_opt(U_D)`` needs the raw
    parameters.
    """

    name = "data_constrained"
    equation = "L(N, D, U) = E + A/N'^alpha + B/D'^beta (effective N', D')"
    param_names = DataConstrainedLaw.PARAM_NAMES
    theta_params = ("A", "B", "E", "alpha", "beta", "rd_star", "rn_star")
    log_theta = (True, True, True, False, False, True, True)
    theta_names = ("a", "b", "e", "alpha", "beta", "log_rd_star", "log_rn_star")
    exponents = ("alpha", "beta")
    data_names = ("n_params", "n_tokens", "unique_tokens", "loss")
    start_low = (0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0)
    start_high = (25.0, 25.0, 1.0, 2.0, 2.0, math.log(500.0), math.log(500.0))

    @property
    def kernel(self) -> Any:
        return FK.dc_objective_grad

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        import jax
        import jax.numpy as jnp

        al = u[3] / aux[1]
        be = u[4] / aux[3]
        a = u[0] + al * aux[0]
        b = u[1] + be * aux[2]
        rds = jnp.exp(u[5])
        rns = jnp.exp(u[6])
        log_n, log_d, log_u = X[:, 0], X[:, 1], X[:, 2]
        z = jnp.minimum(log_u, log_d)
        rd = jnp.exp(log_d - z) - 1.0
        ldp = z + jnp.log1p(-rds * jnp.expm1(-rd / rds))
        lnopt = (jnp.log(al) - jnp.log(be) + a - b + be * z) / al
        lun = jnp.minimum(log_n, lnopt)
        rn = jnp.exp(log_n - lun) - 1.0
        lnp = lun + jnp.log1p(-rns * jnp.expm1(-rn / rns))
        terms = jnp.stack([a - al * lnp, b - be * ldp, jnp.full_like(lnp, u[2])])
        r = jax.nn.logsumexp(terms, axis=0) - target
        c = jnp.clip(r, -delta, delta)
        return jnp.sum(w * c * (r - 0.5 * c))

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        log_n = np.log(data["n_params"])
        log_d = np.log(data["n_tokens"])
        log_u = np.log(data["unique_tokens"])
        mx, my = float(np.mean(log_n)), float(np.mean(log_d))
        sx = float(np.std(log_n)) or 1.0
        sy = float(np.std(log_d)) or 1.0
        scale = np.eye(7)
        scale[0, 3] = -mx
        scale[1, 4] = -my
        scale[3, 3] = sx
        scale[4, 4] = sy
        return Design(
            X=np.stack([log_n, log_d, log_u], axis=1),
            target=np.log(data["loss"]),
            scale=scale,
            offset=np.zeros(7),
            aux=np.array([mx, sx, my, sy]),
        )

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        for name in ("n_params", "n_tokens"):
            if np.unique(data[name][active]).size < 2:
                raise ValueError(
                    f"`{name}` must take at least two distinct values; got one for every "
                    "point: its exponent cannot be fitted."
                )
        return []

    def frontier(
        self, params: FloatArray, compute: FloatArray, flops_per_param_token: float
    ) -> FrontierArrays:
        """The frontier without a unique-token limit (Chinchilla closed form, one epoch).

        With a limit use :meth:`DataConstrainedLaw.optimal` (``unique_tokens=``).
        """
        rows = [
            self.make_law(dict(zip(self.param_names, p, strict=True))).optimal(
                compute, flops_per_param_token=flops_per_param_token
            )
            for p in np.atleast_2d(params)
        ]
        return FrontierArrays(
            n_params=np.stack([f.n_params for f in rows]),
            n_tokens=np.stack([f.n_tokens for f in rows]),
            loss=np.stack([f.loss for f in rows]),
            extra={"epochs": np.ones((len(rows), np.size(compute)))},
        )

    def default_starts(self) -> FloatArray:
        """A small Chinchilla grid times ``R_D*, R_N*`` in :data:`DEFAULT_R_STARS` (450 starts).

        ``a, b`` in ``{0, 8, 16}``, ``e`` in ``{-0.5, 0.5}``, ``alpha = beta = 0.4`` (the
        standardised coordinates make the exponents' start matter little), and
        ``R_D*, R_N*`` each in ``{1, 4, 16, 64, 256}``. With the five Chinchilla
        parameters fixed (stage 2) the grid reduces to the 25 ``(R_D*, R_N*)`` pairs.
        """
        ab = np.array([0.0, 8.0, 16.0])
        e = np.array([-0.5, 0.5])
        ex = np.array([0.4])
        r = np.log(np.array(DEFAULT_R_STARS))
        mesh = np.meshgrid(ab, ab, e, ex, ex, r, r, indexing="ij")
        return np.ascontiguousarray(np.stack([m.ravel() for m in mesh], axis=1))

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> DataConstrainedLaw:
        return DataConstrainedLaw(name=name, **{k: params[k] for k in self.param_names})


DATA_CONSTRAINED = register_family(DataConstrainedFamily())
"""The data-constrained law family (registered as ``"data_constrained"``)."""
DataConstrainedLaw.family = DATA_CONSTRAINED
